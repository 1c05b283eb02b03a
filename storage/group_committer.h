// GroupCommitter: merges the WriteBatches of concurrent state transitions into one RocksDB
// write (group commit), so the fsync is paid per group, not per transition.
//
//   GroupCommitter committer(store, {.on_commit = ...});
//   absl::Status s = committer.Commit(std::move(batch), {.precheck = fence});  // on disk now
//
// Commit() blocks the caller until its batch was written (or refused). Batches are written
// in the order Commit() was called. A group is synced if any of its batches asks for it; a
// batch that does not (sync=false: its loss in a power failure is harmless, e.g. recording
// that a task was handed to a worker) still lands before every later synced write, since
// RocksDB's write-ahead log is replayed as a prefix. If the write fails, every caller in the
// group gets the error and nothing of the group is on disk. A batch whose precheck fails
// (e.g. its shard's range_id moved: fencing) is refused alone; the rest of the group goes on.
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
    // Called after each successful group write with its latency, number of batches and
    // bytes.
    std::function<void(double seconds, int transitions, size_t bytes)> on_commit;
    int max_group_size = 512;
  };
  struct CommitOptions {
    bool sync = true;
    // Checked by the writer just before the group is written; non-OK refuses this batch.
    std::function<absl::Status()> precheck;
  };

  GroupCommitter(Store* store, Options options);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  absl::Status Commit(Batch batch, CommitOptions options);
  absl::Status Commit(Batch batch) { return Commit(std::move(batch), CommitOptions{}); }

 private:
  struct Pending {
    Batch batch;
    CommitOptions options;
    absl::Status status;
    bool done = false;
    std::condition_variable cv;
  };
  void Run();

  Store* const store_;
  const Options options_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<Pending*> queue_;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  std::thread writer_;
};

}  // namespace weft::storage

#endif  // WEFT_STORAGE_GROUP_COMMITTER_H_
