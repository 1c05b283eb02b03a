// Shard: one history shard's context: its range_id (fencing), task-id allocator, execution
// cache and queue processors (DESIGN.md section 3). Its writes go through the engine's group
// committer, shared by all shards so one fsync covers transitions of every shard.
//
// Open() bumps the stored range_id; every write checks that the stored range_id is still
// ours, so a stale owner's writes are refused (the cluster mode's fencing; on one node
// RocksDB's own lock already keeps a second process out).
//
// Thread safety: thread-safe. Ownership: borrows Store, Clock, the committer; owns the rest.
#ifndef WEFT_SERVER_HISTORY_SHARD_H_
#define WEFT_SERVER_HISTORY_SHARD_H_

#include <atomic>
#include <memory>

#include "server/common/clock.h"
#include "server/history/execution_cache.h"
#include "server/history/queue_processors.h"
#include "storage/group_committer.h"
#include "storage/store.h"

namespace weft::history {

class Shard {
 public:
  Shard(int id, storage::Store* store, storage::GroupCommitter* committer, const Clock* clock,
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
  // Tasks found in storage by Open() (left by the previous owner), for the start-up log.
  size_t recovered_transfer_tasks() const { return recovered_transfer_; }
  size_t recovered_timer_tasks() const { return recovered_timers_; }
  // Unique and increasing across restarts: (range_id << 32) | sequence.
  uint64_t NextTaskId();

  storage::Store* store() { return store_; }
  // Writes a transition's batch; sync=false for writes whose loss in a power failure is
  // harmless (they still land before any later synced write).
  absl::Status Commit(storage::Batch batch, bool sync);
  ExecutionCache& cache() { return cache_; }
  TransferQueue& transfer_queue() { return transfer_; }
  TimerQueue& timer_queue() { return timer_; }

 private:
  const int id_;
  absl::Status CheckOwnership() const;

  storage::Store* const store_;
  storage::GroupCommitter* const committer_;
  int64_t range_id_ = 0;
  size_t recovered_transfer_ = 0;
  size_t recovered_timers_ = 0;
  std::atomic<uint64_t> sequence_{0};
  ExecutionCache cache_;
  TransferQueue transfer_;
  TimerQueue timer_;
};

}  // namespace weft::history

#endif  // WEFT_SERVER_HISTORY_SHARD_H_
