// MatchingEngine: the single-node task-queue service (DESIGN.md section 5).
//
// Each (namespace, queue, kind) has a list of waiting pollers and a backlog ordered by
// priority (1 first), FIFO within a priority. A task offered while a poller waits and the
// backlog is empty is handed over in memory (sync match, nothing written); otherwise it is
// written to the `task_queues` column family (key: namespace_id, queue, kind, priority,
// task_id) and kept in memory until polled. A delivered task is settled by AckTask() only
// after history recorded it started: a backlog row is deleted then (not at poll time), and
// AddTask() of a sync match waits for the poller's verdict, falling back to the backlog if
// the poller could not take it. So a crash between "handed to a poller" and "started" loses
// nothing. Delivery is at-least-once; history's "already started" check makes a duplicate
// harmless.
//
// Dispatch rate limit: each poll names its poller and the rate it asks for; the lowest
// positive rate among the pollers seen in the last 5 minutes holds for the whole queue
// (TokenBucket). A poll that finds tasks but no token waits for one within its deadline;
// tasks are never dropped, and a sync match needs a token too.
//
// Thread safety: thread-safe. Ownership: borrows the Store, Metrics (may be null) and Clock
// (null: the system clock).
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

#include "server/common/clock.h"
#include "server/common/metrics.h"
#include "server/matching/matching_client.h"
#include "server/matching/token_bucket.h"
#include "storage/store.h"

namespace weft::matching {

class MatchingEngine : public MatchingClient {
 public:
  // Pollers not seen for this long drop out of DescribeTaskQueue and of the rate limit.
  static constexpr absl::Duration kPollerExpiry = absl::Minutes(5);

  MatchingEngine(storage::Store* store, Metrics* metrics, const Clock* clock = nullptr);
  ~MatchingEngine() override;

  // Loads every backlog from storage. Call once before serving. Rows written before
  // priorities existed (key without the priority) are rewritten with the default priority.
  absl::Status Recover();
  // Wakes every waiting poller with an empty answer; later polls return UNAVAILABLE.
  void Shutdown();

  absl::Status AddTask(const TaskQueueId& queue, const internal::BacklogTask& task) override;
  using MatchingClient::PollTask;
  absl::StatusOr<std::optional<PolledTask>> PollTask(
      const TaskQueueId& queue, const PollerInfo& poller, absl::Time deadline,
      const std::function<bool()>& cancelled) override;
  void AckTask(const TaskQueueId& queue, const PolledTask& task, bool consumed) override;
  absl::StatusOr<api::v1::DescribeTaskQueueResponse> DescribeTaskQueue(
      const TaskQueueId& queue) override;
  double DispatchRateLimit(const TaskQueueId& queue) override;

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
    int priority = kDefaultPriority;   // of a backlog task
    bool query = false;                // an in-memory query task
  };
  struct Waiter {
    std::optional<internal::BacklogTask> task;
    std::shared_ptr<Handoff> handoff;
    bool woken = false;
    std::condition_variable cv;
  };
  struct PollerState {
    absl::Time last_access;
    double rate = 0;
  };
  // Every member is guarded by mu_.
  struct Queue {
    // Waiting tasks by (priority, task id): begin() is the next one to hand out.
    std::map<std::pair<int, uint64_t>, internal::BacklogTask> backlog;
    std::deque<internal::BacklogTask> queries;  // in memory only, served first
    std::map<int, size_t> in_flight;            // backlog tasks polled, not yet acked, by priority
    size_t in_flight_total = 0;
    std::list<Waiter*> waiters;
    std::map<std::string, PollerState> pollers;  // by identity
    TokenBucket limiter;
    int64_t dispatched = 0;  // tasks settled as consumed since start (queries not counted)
  };
  using Key = std::tuple<std::string, std::string, int>;

  Queue& GetQueue(const TaskQueueId& id);  // requires mu_
  void WakeOnePoller(Queue& q);            // requires mu_; it takes from the backlog
  // Hands `task` to the first waiting poller and waits for its verdict. Returns false (and
  // hands nothing) when no poller waits or the poller gave it back. Requires `lock` on mu_.
  bool TrySyncMatch(Queue& q, const internal::BacklogTask& task,
                    std::unique_lock<std::mutex>& lock);
  std::string BacklogKey(const TaskQueueId& id, int priority, uint64_t task_id) const;
  void ReportBacklog(const TaskQueueId& id, const Queue& q);  // requires mu_
  // Records a poll and sets the queue's rate limit from its current pollers. Requires mu_.
  void NotePoller(Queue& q, const PollerInfo& poller, absl::Time now);
  // Drops pollers not seen within kPollerExpiry. Requires mu_.
  void ExpirePollers(Queue& q, absl::Time now);

  storage::Store* const store_;
  Metrics* const metrics_;
  SystemClock system_clock_;
  const Clock* const clock_;
  std::mutex mu_;
  std::map<Key, std::unique_ptr<Queue>> queues_;  // guarded by mu_
  bool shutdown_ = false;                         // guarded by mu_
  std::atomic<uint64_t> next_task_id_{1};
};

}  // namespace weft::matching

#endif  // WEFT_SERVER_MATCHING_MATCHING_ENGINE_H_
