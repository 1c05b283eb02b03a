// ActivityExecutor: the activity slots of one Worker and the threads that run activity tasks
// in them.
//
// A slot is taken before an activity poll goes out, so that a polled task always has one, or
// reserved for eager activities when a workflow task completes (Worker offers its free slots
// to the server, which may start that many activities for it). A slot is given back when the
// task it holds returns, when the poll came back empty, or when a reservation went unused.
// So at most `slots` activities run at once, whether they were polled or came back eagerly,
// and the pollers (fewer than the slots) never take a task they cannot start at once.
//
//   ActivityExecutor ex(8);
//   if (ex.Acquire()) { ... poll ...; if (task) ex.Run([=] { Handle(task); }); else ex.Release(); }
//   int n = ex.TryAcquire(3);  // eager: 0..3 slots, never waits
//   ...
//   ex.Stop();  // Acquire() returns false from now on
//   ex.Join();  // every task given to Run() has returned
//
// Tasks run in the order they were given to Run(), each on one of `slots` threads.
//
// Thread safety: thread-safe. Ownership: owned by the Worker; owns its threads, which
// Join() (or the destructor) joins.
#ifndef WEFT_WORKER_SDK_SRC_ACTIVITY_EXECUTOR_H_
#define WEFT_WORKER_SDK_SRC_ACTIVITY_EXECUTOR_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace weft::detail {

class ActivityExecutor {
 public:
  explicit ActivityExecutor(int slots);
  ~ActivityExecutor();
  ActivityExecutor(const ActivityExecutor&) = delete;
  ActivityExecutor& operator=(const ActivityExecutor&) = delete;

  // Waits for a free slot and takes it; false (nothing taken) once Stop() was called.
  bool Acquire();
  // Takes up to `n` free slots without waiting and returns how many; 0 after Stop().
  int TryAcquire(int n);
  // Gives back `n` slots the caller holds and did not hand to Run().
  void Release(int n = 1);
  // Runs `task` on an executor thread in a slot the caller holds; the slot is given back when
  // the task returns. Accepted after Stop() too (a task already started on the server must
  // still run), until Join().
  void Run(std::function<void()> task);
  // Acquire() callers wake up with false; nothing new is taken.
  void Stop();
  // Stop(), then waits until every task given to Run() returned, and joins the threads.
  void Join();

  int slots() const { return slots_; }
  int used() const;  // slots taken (polling, running or reserved)

 private:
  void Loop();

  const int slots_;
  mutable absl::Mutex mu_;
  int used_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool joining_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

}  // namespace weft::detail

#endif  // WEFT_WORKER_SDK_SRC_ACTIVITY_EXECUTOR_H_
