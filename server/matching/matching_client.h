// MatchingClient: the narrow interface through which history hands tasks to task queues and
// the frontend takes them out for polling workers. In a cluster the same calls cross the
// network; on one node MatchingEngine implements it in-process.
//
// Thread safety: implementations are thread-safe.
#ifndef WEFT_SERVER_MATCHING_MATCHING_CLIENT_H_
#define WEFT_SERVER_MATCHING_MATCHING_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "weft/api/v1/workflow_service.pb.h"
#include "weft/internal/persistence.pb.h"

namespace weft::matching {

struct TaskQueueId {
  std::string namespace_id;
  std::string name;
  internal::TaskKind kind = internal::TASK_KIND_UNSPECIFIED;
  std::string namespace_name;  // for metrics only; not part of the queue's identity
};

// A task handed to a poller. It must be settled with AckTask(): until then it is neither
// gone from the backlog nor lost if the process dies.
struct PolledTask {
  internal::BacklogTask task;
  std::shared_ptr<void> receipt;  // how to settle it; owned by the matching implementation
};

// Who is polling: listed by DescribeTaskQueue; the lowest positive max_tasks_per_second
// among a queue's current pollers is its dispatch rate limit.
struct PollerInfo {
  std::string identity;
  double max_tasks_per_second = 0;  // 0: no limit asked for
};

// Task priorities: 1 is the highest, 5 the lowest; 0 (unset) means the default.
inline constexpr int kHighestPriority = 1;
inline constexpr int kLowestPriority = 5;
inline constexpr int kDefaultPriority = 3;

class MatchingClient {
 public:
  virtual ~MatchingClient() = default;

  // Offers a task to the queue: handed straight to a waiting poller (sync match) or written
  // to the queue's durable backlog. Returns once the poller settled it as consumed or it is
  // in the backlog, so the caller may then forget it.
  virtual absl::Status AddTask(const TaskQueueId& queue, const internal::BacklogTask& task) = 0;

  // Waits until a task is available, `deadline` passes (returns nullopt), or `cancelled`
  // returns true (checked about every 200 ms; returns CANCELLED). Among waiting tasks the
  // highest priority goes first, FIFO within a priority. Under a dispatch rate limit the
  // poll waits for its turn (within `deadline`) rather than failing.
  virtual absl::StatusOr<std::optional<PolledTask>> PollTask(
      const TaskQueueId& queue, const PollerInfo& poller, absl::Time deadline,
      const std::function<bool()>& cancelled) = 0;
  // The same, for an anonymous poller that asks for no rate limit.
  absl::StatusOr<std::optional<PolledTask>> PollTask(const TaskQueueId& queue, absl::Time deadline,
                                                     const std::function<bool()>& cancelled) {
    return PollTask(queue, PollerInfo{}, deadline, cancelled);
  }

  // Settles a polled task. consumed=true once history recorded it started (or found it
  // stale): it is gone for good. consumed=false gives it back to the queue.
  virtual void AckTask(const TaskQueueId& queue, const PolledTask& task, bool consumed) = 0;

  // The dispatch rate limit (tasks per second) in force on the queue; 0: none. Cheap enough
  // to ask on every workflow-task completion (history asks it before eager dispatch, which
  // must not bypass a limit that matching enforces).
  virtual double DispatchRateLimit(const TaskQueueId& /*queue*/) { return 0; }

  // The queue's pollers seen in the last 5 minutes, its backlog (in total and by priority),
  // the rate limit in force and the tasks dispatched since the process started. A queue
  // never seen is an empty answer, not an error.
  virtual absl::StatusOr<api::v1::DescribeTaskQueueResponse> DescribeTaskQueue(
      const TaskQueueId& /*queue*/) {
    return absl::UnimplementedError("this matching client cannot describe task queues");
  }
};

}  // namespace weft::matching

#endif  // WEFT_SERVER_MATCHING_MATCHING_CLIENT_H_
