// Eager activity dispatch (Temporal's "eager activity execution"): a worker that completes a
// workflow task and also runs activities of the run's task queue offers its free activity
// slots (eager_activity_slots); activities it scheduled with request_eager_execution are
// recorded as started for it in the same transition that completes the workflow task, and
// their tasks come back in the RespondWorkflowTaskCompleted response. They never reach
// matching: no transfer task, no backlog row, no poll. Part of HistoryEngine; see
// history_engine.h.
//
// What is not started eagerly goes through matching as before:
//   - an activity on another task queue (the completing worker does not poll it);
//   - more activities than offered slots (the first ones in command order go eagerly);
//   - an activity whose circuit breaker holds it (held as usual, in DispatchActivity);
//   - an activity queue with a dispatch rate limit: matching owns the rate, and a task that
//     skipped matching would not be counted against it;
//   - every activity of a completion that closes the run.
// Retries (attempt > 1) always go through matching: they are dispatched by a timer, not by a
// workflow-task completion.
//
// Durability is that of any started attempt: the start is in mutable state with its
// start-to-close (and heartbeat) timer in the same WriteBatch, so if the worker dies or the
// response is lost, the timeout retries the activity (at-least-once, as for a polled task).
#include "server/common/proto_time.h"
#include "server/history/history_engine.h"

namespace weft::history {

bool HistoryEngine::StartEagerly(Transition& tr, internal::ActivityInfo& ai,
                                 EagerActivities& eager) {
  const internal::MutableState& ms = tr.ms();
  const char* refused = nullptr;
  if (ai.task_queue() != ms.task_queue()) {
    refused = "other_queue";
  } else if (eager.slots <= 0) {
    refused = "no_slot";
  } else {
    if (!eager.rate_limited.has_value()) {
      matching::TaskQueueId queue{ms.namespace_id(), ms.task_queue(), internal::TASK_KIND_ACTIVITY,
                                  ms.namespace_name()};
      eager.rate_limited = matching_->DispatchRateLimit(queue) > 0;
    }
    if (*eager.rate_limited) refused = "rate_limited";
  }
  if (metrics_) {
    tr.OnCommitted(
        [m = metrics_, ns = ms.namespace_name(),
         outcome = std::string(refused ? refused : "started")] { m->EagerActivity(ns, outcome); });
  }
  if (refused != nullptr) return false;
  --eager.slots;
  // As RecordActivityTaskStarted does for a polled task, minus the breaker's second look:
  // DispatchActivity asked it an instant ago, in this same transition.
  StartActivityAttempt(tr, ai, eager.identity);
  eager.started.push_back(ai.scheduled_event_id());
  return true;
}

void HistoryEngine::AddEagerTasks(const NamespaceRef& ns, const internal::MutableState& ms,
                                  const EagerActivities& eager,
                                  api::v1::RespondWorkflowTaskCompletedResponse* response) {
  for (int64_t id : eager.started) {
    auto it = ms.activities().find(id);
    if (it == ms.activities().end() || !it->second.started()) continue;  // cannot happen
    *response->add_activity_tasks() = ActivityTaskFor(ns.name, ms, it->second);
  }
}

bool HistoryEngine::ClosesRun(const google::protobuf::RepeatedPtrField<api::v1::Command>& cmds) {
  if (cmds.empty()) return false;
  switch (cmds.rbegin()->command_type()) {
    case api::v1::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
    case api::v1::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
    case api::v1::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
    case api::v1::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
      return true;
    default:
      return false;
  }
}

}  // namespace weft::history
