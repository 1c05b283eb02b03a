// The shard's queue processors (DESIGN.md section 3, step 5).
//
// TransferQueue hands committed transfer tasks (dispatch a workflow or activity task) to a
// handler on its own thread, then deletes them from storage. TimerQueue keeps timer tasks in
// a min-heap by fire time and hands each to its handler when due. Both retry a task whose
// handler fails (after a short pause) and both load their pending tasks from storage in
// Recover(), so recovery after a crash is the same code path as normal operation.
//
// Thread safety: Add() may be called from any thread. Ownership: borrow the Store and Clock;
// own one thread each, joined by Stop() / the destructor.
#ifndef WEFT_SERVER_HISTORY_QUEUE_PROCESSORS_H_
#define WEFT_SERVER_HISTORY_QUEUE_PROCESSORS_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "server/common/clock.h"
#include "storage/store.h"
#include "weft/internal/persistence.pb.h"

namespace weft::history {

class TransferQueue {
 public:
  using Handler = std::function<absl::Status(const internal::TransferTask&)>;
  // `dispatchers` threads hand tasks over concurrently (a hand-off waits for the worker's
  // start to be recorded, so one thread would serialize a shard's dispatch).
  TransferQueue(int shard, storage::Store* store, Handler handler, int dispatchers = 4);
  ~TransferQueue();

  absl::Status Recover();  // loads tasks left in storage; call before Start()
  void Start();
  void Stop();
  void Add(const internal::TransferTask& task);
  size_t Pending();  // tasks waiting (after Recover(): how many were recovered)

 private:
  void Run();

  const int shard_;
  storage::Store* const store_;
  const Handler handler_;
  const int dispatchers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<internal::TransferTask> tasks_;  // guarded by mu_
  bool stop_ = false;                         // guarded by mu_
  std::vector<std::thread> threads_;
};

class TimerQueue {
 public:
  using Handler = std::function<absl::Status(const internal::TimerTask&)>;
  TimerQueue(int shard, storage::Store* store, const Clock* clock, Handler handler);
  ~TimerQueue();

  absl::Status Recover();
  void Start();
  void Stop();
  void Add(const internal::TimerTask& task);
  size_t Pending();  // timers waiting (after Recover(): how many were recovered)

 private:
  struct Later {
    bool operator()(const internal::TimerTask& a, const internal::TimerTask& b) const;
  };
  void Run();

  const int shard_;
  storage::Store* const store_;
  const Clock* const clock_;
  const Handler handler_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<internal::TimerTask, std::vector<internal::TimerTask>, Later>
      heap_;           // guarded by mu_
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
  // Late timers are logged at most once per kLagLogEvery (the run thread's own state).
  absl::Time last_lag_log_ = absl::InfinitePast();
  int64_t late_since_log_ = 0;
};

}  // namespace weft::history

#endif  // WEFT_SERVER_HISTORY_QUEUE_PROCESSORS_H_
