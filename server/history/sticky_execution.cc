// Sticky execution (DESIGN.md section 5): a worker that completes a workflow task with
// sticky_attributes keeps the run cached; the run's next workflow task goes to that worker's
// own queue and carries only the events after the previous started task. A
// STICKY_SCHEDULE_TO_START timer moves a task nobody started in time to the normal queue;
// ResetStickyTaskQueue, a failed and a timed-out workflow task clear the sticky queue too.
// Part of HistoryEngine; see history_engine.h.
//
// Invariant: while ms.sticky_task_queue is set, a scheduled, not yet started workflow task was
// dispatched to the sticky queue. Whoever clears it while such a task waits dispatches the
// task again to the normal queue (MoveToNormalQueue), so the workflow never stalls on a
// queue nobody polls.
#include "absl/strings/str_cat.h"
#include "server/common/proto_time.h"
#include "server/history/history_engine.h"

namespace weft::history {

namespace {

constexpr absl::Duration kDefaultStickyScheduleToStart = absl::Seconds(5);

}  // namespace

void HistoryEngine::ApplyStickyAttributes(internal::MutableState& ms,
                                          const api::v1::RespondWorkflowTaskCompletedRequest& req) {
  const std::string& queue = req.sticky_attributes().worker_task_queue().name();
  // A "sticky" queue equal to the normal one would hand partial histories to every worker.
  if (!req.has_sticky_attributes() || queue.empty() || queue == ms.task_queue()) {
    ms.clear_sticky_task_queue();
    ms.clear_sticky_schedule_to_start_timeout();
    return;
  }
  absl::Duration timeout = FromProto(req.sticky_attributes().schedule_to_start_timeout());
  if (timeout <= absl::ZeroDuration()) timeout = kDefaultStickyScheduleToStart;
  ms.set_sticky_task_queue(queue);
  *ms.mutable_sticky_schedule_to_start_timeout() = ToProto(timeout);
}

void HistoryEngine::DispatchWorkflowTask(Transition& tr) {
  internal::MutableState& ms = tr.ms();
  const internal::WorkflowTaskInfo& wt = ms.workflow_task();
  const bool sticky = !ms.sticky_task_queue().empty();
  internal::TransferTask t;
  t.set_type(internal::TRANSFER_TASK_TYPE_WORKFLOW_TASK);
  t.set_task_queue(sticky ? ms.sticky_task_queue() : ms.task_queue());
  t.set_scheduled_event_id(wt.scheduled_event_id());
  t.set_attempt(wt.attempt());
  tr.AddTransferTask(std::move(t));
  if (!sticky) return;
  absl::Duration timeout = FromProto(ms.sticky_schedule_to_start_timeout());
  if (timeout <= absl::ZeroDuration()) timeout = kDefaultStickyScheduleToStart;
  internal::TimerTask timer;
  timer.set_type(internal::TIMER_TASK_TYPE_STICKY_SCHEDULE_TO_START);
  *timer.mutable_fire_time() = ToProto(tr.now() + timeout);
  timer.set_event_id(wt.scheduled_event_id());
  timer.set_attempt(wt.attempt());
  timer.set_timeout_type(api::v1::TIMEOUT_TYPE_SCHEDULE_TO_START);
  tr.AddTimerTask(std::move(timer));
  if (metrics_) {
    tr.OnCommitted([m = metrics_, ns = ms.namespace_name()] { m->StickyTask(ns, "dispatched"); });
  }
}

void HistoryEngine::MoveToNormalQueue(Transition& tr) {
  internal::MutableState& ms = tr.ms();
  if (ms.sticky_task_queue().empty()) return;
  ms.clear_sticky_task_queue();
  ms.clear_sticky_schedule_to_start_timeout();
  const internal::WorkflowTaskInfo& wt = ms.workflow_task();
  if (wt.scheduled_event_id() == 0 || wt.started_event_id() != 0 || wt.in_backoff()) return;
  // The copy left on the sticky queue may still be started by its worker if it comes back:
  // whichever start comes first wins, the other finds the task already started.
  DispatchWorkflowTask(tr);
  if (metrics_) {
    tr.OnCommitted([m = metrics_, ns = ms.namespace_name()] { m->StickyTask(ns, "fallback"); });
  }
}

bool HistoryEngine::StickyTimerIsCurrent(const internal::MutableState& ms,
                                         const internal::TimerTask& t) {
  const internal::WorkflowTaskInfo& wt = ms.workflow_task();
  return !ms.sticky_task_queue().empty() && wt.scheduled_event_id() == t.event_id() &&
         wt.started_event_id() == 0 && wt.attempt() == t.attempt() && !wt.in_backoff();
}

absl::Status HistoryEngine::ResetStickyTaskQueue(const NamespaceRef& ns,
                                                 const api::v1::ResetStickyTaskQueueRequest& req) {
  auto l = LockRun(ns.id, req.execution().workflow_id(), req.execution().run_id(), ns.name);
  if (!l.ok()) return l.status();
  const internal::MutableState& cached = l->entry->state;
  // Nothing to do for a closed run or one that is not sticky: the call is idempotent.
  if (cached.status() != api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING ||
      cached.sticky_task_queue().empty()) {
    return absl::OkStatus();
  }
  internal::MutableState ms = cached;
  Transition tr(*l->shard, ms, clock_->Now());
  MoveToNormalQueue(tr);
  return CommitAndInstall(*l, tr);
}

}  // namespace weft::history
