// MatchingEngine: the single-node task-queue service (DESIGN.md section 5).
//
// Each (namespace, queue, kind) has a list of waiting pollers and a FIFO backlog. A task
// offered while a poller waits is handed over in memory (sync match, nothing written);
// otherwise it is written to the `task_queues` column family and kept in memory until polled.
// A delivered task is settled by AckTask() only after history recorded it started: a
// backlog row is deleted then (not at poll time), and AddTask() of a sync match waits for the
// poller's verdict, falling back to the backlog if the poller could not take it. So a crash
// between "handed to a poller" and "started" loses nothing. Delivery is at-least-once;
// history's "already started" check makes a duplicate harmless.
//
// Thread safety: thread-safe. Ownership: borrows the Store and Metrics (may be null).
#ifndef WEFT_SERVER_MATCHING_MATCHING_ENGINE_H_
#define WEFT_SERVER_MATCHING_MATCHING_ENGINE_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "server/common/metrics.h"
#include "server/matching/matching_client.h"
#include "storage/store.h"

namespace weft::matching {

class MatchingEngine : public MatchingClient {
 public:
  MatchingEngine(storage::Store* store, Metrics* metrics);
  ~MatchingEngine() override;

  // Loads every backlog from storage. Call once before serving.
  absl::Status Recover();
  // Wakes every waiting poller with an empty answer; later polls return UNAVAILABLE.
  void Shutdown();

  absl::Status AddTask(const TaskQueueId& queue, const internal::BacklogTask& task) override;
  absl::StatusOr<std::optional<PolledTask>> PollTask(
      const TaskQueueId& queue, absl::Time deadline,
      const std::function<bool()>& cancelled) override;
  void AckTask(const TaskQueueId& queue, const PolledTask& task, bool consumed) override;

  // Backlog length: tasks in storage not yet consumed (waiting, or polled and not acked).
  size_t BacklogSize(const TaskQueueId& queue);

 private:
  // A sync match: AddTask() waits on it until the poller settles the task.
  struct Handoff {
    bool settled = false;   // guarded by mu_
    bool consumed = false;  // guarded by mu_
    std::condition_variable cv;
  };
  struct Receipt {
    std::shared_ptr<Handoff> handoff;  // set for a sync match
    uint64_t backlog_id = 0;           // set for a backlog task
  };
  struct Waiter {
    std::optional<internal::BacklogTask> task;
    std::shared_ptr<Handoff> handoff;
    bool woken = false;
    std::condition_variable cv;
  };
  struct Queue {
    std::deque<std::pair<uint64_t, internal::BacklogTask>> backlog;  // guarded by mu_
    size_t in_flight = 0;        // backlog tasks polled, not yet acked; guarded by mu_
    std::list<Waiter*> waiters;  // guarded by mu_
  };
  using Key = std::tuple<std::string, std::string, int>;
  static constexpr uint64_t kInMemoryOnly = 0;  // backlog id of a query task

  Queue& GetQueue(const TaskQueueId& id);  // requires mu_
  void WakeOnePoller(Queue& q);            // requires mu_; it takes from the backlog
  // Hands `task` to the first waiting poller and waits for its verdict. Returns false (and
  // hands nothing) when no poller waits or the poller gave it back. Requires `lock` on mu_.
  bool TrySyncMatch(Queue& q, const internal::BacklogTask& task,
                    std::unique_lock<std::mutex>& lock);
  std::string BacklogKey(const TaskQueueId& id, uint64_t task_id) const;
  void ReportBacklog(const TaskQueueId& id, const Queue& q);  // requires mu_

  storage::Store* const store_;
  Metrics* const metrics_;
  std::mutex mu_;
  std::map<Key, std::unique_ptr<Queue>> queues_;  // guarded by mu_
  bool shutdown_ = false;                         // guarded by mu_
  std::atomic<uint64_t> next_task_id_{1};
};

}  // namespace weft::matching

#endif  // WEFT_SERVER_MATCHING_MATCHING_ENGINE_H_
