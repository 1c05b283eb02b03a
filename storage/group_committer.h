// GroupCommitter: merges the WriteBatches of concurrent state transitions into one synced
// RocksDB write (group commit), so the fsync is paid per group, not per transition.
//
//   GroupCommitter committer(store, {.name = "shard-3", .precheck = ...});
//   absl::Status s = committer.Commit(std::move(batch));  // returns once on disk
//
// Commit() blocks the caller until its batch was written (or refused). Batches are written
// in the order Commit() was called. A group is all-or-nothing: if the write fails, every
// caller in the group gets the error and nothing of the group is on disk.
//
// Thread safety: Commit() may be called from any number of threads.
// Ownership: borrows the Store, which must outlive the committer. Owns one writer thread,
// stopped by the destructor after the queued batches are written.
#ifndef WEFT_STORAGE_GROUP_COMMITTER_H_
#define WEFT_STORAGE_GROUP_COMMITTER_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "storage/store.h"

namespace weft::storage {

class GroupCommitter {
 public:
  struct Options {
    std::string name;
    // Called before each group is written; a non-OK status refuses the whole group (used
    // for range_id fencing of a shard).
    std::function<absl::Status()> precheck;
    // Called after each successful group write with its latency and number of transitions.
    std::function<void(double seconds, int transitions, size_t bytes)> on_commit;
    int max_group_size = 256;
  };

  GroupCommitter(Store* store, Options options);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  absl::Status Commit(Batch batch);

 private:
  struct Pending {
    Batch batch;
    absl::Status status;
    bool done = false;
  };
  void Run();

  Store* const store_;
  const Options options_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<Pending*> queue_;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  std::thread writer_;
};

}  // namespace weft::storage

#endif  // WEFT_STORAGE_GROUP_COMMITTER_H_
