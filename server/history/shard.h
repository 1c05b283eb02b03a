// Shard: one history shard's context: its range_id (fencing), task-id allocator, group
// committer, execution cache and queue processors (DESIGN.md section 3).
//
// Open() bumps the stored range_id; every group write checks that the stored range_id is
// still ours, so a stale owner's writes are refused (the cluster mode's fencing; on one node
// RocksDB's own lock already keeps a second process out).
//
// Thread safety: thread-safe. Ownership: borrows Store, Clock and Metrics; owns the rest.
#ifndef WEFT_SERVER_HISTORY_SHARD_H_
#define WEFT_SERVER_HISTORY_SHARD_H_

#include <atomic>
#include <memory>

#include "server/common/clock.h"
#include "server/common/metrics.h"
#include "server/history/execution_cache.h"
#include "server/history/queue_processors.h"
#include "storage/group_committer.h"
#include "storage/store.h"

namespace weft::history {

class Shard {
 public:
  Shard(int id, storage::Store* store, const Clock* clock, Metrics* metrics,
        TransferQueue::Handler on_transfer, TimerQueue::Handler on_timer);
  ~Shard();

  // Takes ownership of the shard (bumps range_id) and loads pending tasks.
  absl::Status Open();
  // Starts the queue processors.
  void Start();
  // Stops the queue processors (in-flight handlers finish first).
  void Stop();

  int id() const { return id_; }
  int64_t range_id() const { return range_id_; }
  // Unique and increasing across restarts: (range_id << 32) | sequence.
  uint64_t NextTaskId();

  storage::Store* store() { return store_; }
  storage::GroupCommitter& committer() { return *committer_; }
  ExecutionCache& cache() { return cache_; }
  TransferQueue& transfer_queue() { return transfer_; }
  TimerQueue& timer_queue() { return timer_; }

 private:
  const int id_;
  storage::Store* const store_;
  Metrics* const metrics_;
  int64_t range_id_ = 0;
  std::atomic<uint64_t> sequence_{0};
  std::unique_ptr<storage::GroupCommitter> committer_;
  ExecutionCache cache_;
  TransferQueue transfer_;
  TimerQueue timer_;
};

}  // namespace weft::history

#endif  // WEFT_SERVER_HISTORY_SHARD_H_
