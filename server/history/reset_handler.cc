// ResetWorkflowExecution: a new run of the same workflow id whose history is the old run's
// up to a finished workflow task, followed by a failed workflow task (cause RESET_WORKFLOW),
// the signals the old run received after that point, and a new workflow task. The old run is
// terminated in the same batch when it is still running.
#include "absl/strings/str_cat.h"
#include "server/common/ids.h"
#include "server/common/proto_time.h"
#include "server/history/history_engine.h"
#include "server/history/state_rebuilder.h"

namespace weft::history {
namespace {

bool IsFinishedWorkflowTask(api::v1::EventType t) {
  return t == api::v1::EVENT_TYPE_WORKFLOW_TASK_COMPLETED ||
         t == api::v1::EVENT_TYPE_WORKFLOW_TASK_FAILED ||
         t == api::v1::EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT;
}

}  // namespace

absl::StatusOr<api::v1::ResetWorkflowExecutionResponse> HistoryEngine::ResetWorkflowExecution(
    const NamespaceRef& ns, const api::v1::ResetWorkflowExecutionRequest& req) {
  const std::string& wf = req.workflow_execution().workflow_id();
  // The id lock first (as a start takes it), then the run: nothing can start a run of this id
  // between our check of the current run and our write of the new one.
  Locked id_lock = LockWorkflowId(ns.id, wf);
  auto l = LockRun(ns.id, wf, req.workflow_execution().run_id(), ns.name);
  if (!l.ok()) return l.status();
  Locked& base_locked = *l;
  const internal::MutableState& base = base_locked.entry->state;
  Shard& shard = *base_locked.shard;

  api::v1::ResetWorkflowExecutionResponse resp;
  auto cur = ReadCurrent(shard, ns.id, wf);
  if (!cur.ok()) return cur.status();
  if (cur->has_value()) {
    // A retried reset (same request id) answers with the run the first one made.
    if (!req.request_id().empty() && (*cur)->start_request_id() == req.request_id()) {
      resp.set_run_id((*cur)->run_id());
      return resp;
    }
    if ((*cur)->run_id() != base.run_id() &&
        (*cur)->status() == api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING) {
      return absl::FailedPreconditionError(absl::StrCat(
          "run ", (*cur)->run_id(), " of workflow \"", wf,
          "\" is running; terminate it first, or reset that run instead of ", base.run_id()));
    }
  }

  const int64_t finish_id = req.workflow_task_finish_event_id();
  const int64_t last_id = base.next_event_id() - 1;
  if (finish_id <= 2 || finish_id > last_id) {
    return absl::InvalidArgumentError(absl::StrCat(
        "workflow_task_finish_event_id ", finish_id, " is not an event of run ", base.run_id(),
        " (its events are 1..", last_id,
        "); pick a WorkflowTaskCompleted, WorkflowTaskFailed or WorkflowTaskTimedOut event"));
  }
  auto events = ReadHistory(shard, base, 1, last_id);
  if (!events.ok()) return events.status();
  const api::v1::HistoryEvent& finish = (*events)[finish_id - 1];
  if (!IsFinishedWorkflowTask(finish.event_type())) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", finish_id, " is ", api::v1::EventType_Name(finish.event_type()),
                     "; a reset point must be a WorkflowTaskCompleted, WorkflowTaskFailed or "
                     "WorkflowTaskTimedOut event"));
  }
  // Timed-out or failed tasks may not have started; the new run needs one that did.
  const api::v1::HistoryEvent& before = (*events)[finish_id - 2];
  if (before.event_type() != api::v1::EVENT_TYPE_WORKFLOW_TASK_STARTED) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", finish_id,
                     " does not follow a started workflow task; pick the finish event of a "
                     "workflow task that a worker started"));
  }
  std::vector<api::v1::HistoryEvent> prefix(events->begin(), events->begin() + (finish_id - 1));

  internal::MutableState identity;
  identity.set_namespace_id(ns.id);
  identity.set_namespace_name(ns.name);
  identity.set_workflow_id(wf);
  identity.set_run_id(NewUuid());
  auto rebuilt = RebuildMutableState(identity, prefix);
  if (!rebuilt.ok()) return rebuilt.status();
  if (!rebuilt->children().empty() || !rebuilt->pending_signals().empty() ||
      !rebuilt->pending_cancels().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot reset to event ", finish_id,
        ": a child workflow, external signal or external cancel initiated before it is still "
        "pending at that point; pick a workflow task before it was initiated or after it "
        "resolved"));
  }

  const absl::Time now = clock_->Now();
  internal::MutableState base_ms = base;
  Transition base_tr(shard, base_ms, now);
  const bool base_running = base_ms.status() == api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING;
  if (base_running) {
    base_tr.FlushBuffered();
    auto* e = base_tr.Append(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
    auto* a = e->mutable_workflow_execution_terminated_event_attributes();
    a->set_reason(absl::StrCat("reset to event ", finish_id, " as run ", identity.run_id(),
                               req.reason().empty() ? "" : ": ", req.reason()));
    a->set_identity(req.identity());
    CloseRun(base_tr, api::v1::WORKFLOW_EXECUTION_STATUS_TERMINATED);
  }

  // The new run: copy the prefix event by event (same ids and times), then carry on.
  internal::MutableState initial = *rebuilt;
  const int64_t rebuilt_next = initial.next_event_id();
  initial.set_next_event_id(1);
  initial.set_history_size_bytes(0);
  initial.set_start_request_id(req.request_id());
  initial.set_first_run_id(base.first_run_id().empty() ? base.run_id() : base.first_run_id());
  initial.set_parent_namespace_id(base.parent_namespace_id());
  Transition& tr = base_tr.AddRun(std::move(initial));
  internal::MutableState& ms = tr.ms();
  for (const api::v1::HistoryEvent& old : prefix) {
    api::v1::HistoryEvent* e = tr.Append(old.event_type());
    *e = old;
  }
  if (ms.next_event_id() != rebuilt_next) {
    return absl::InternalError("reset: copied history does not line up with the rebuilt state");
  }

  auto* failed = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_TASK_FAILED);
  auto* fa = failed->mutable_workflow_task_failed_event_attributes();
  fa->set_scheduled_event_id(ms.workflow_task().scheduled_event_id());
  fa->set_started_event_id(ms.workflow_task().started_event_id());
  fa->set_cause(api::v1::WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW);
  fa->mutable_failure()->set_message(
      absl::StrCat("reset", req.reason().empty() ? "" : ": ", req.reason()));
  fa->set_identity(req.identity());
  fa->set_base_run_id(base.run_id());
  fa->set_new_run_id(ms.run_id());
  ms.clear_workflow_task();

  if (!req.skip_signal_reapply()) {
    for (int64_t i = finish_id; i <= last_id; ++i) {
      const api::v1::HistoryEvent& old = (*events)[i - 1];
      if (old.event_type() != api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) continue;
      auto* e = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
      *e->mutable_workflow_execution_signaled_event_attributes() =
          old.workflow_execution_signaled_event_attributes();
    }
    for (const api::v1::HistoryEvent& old : base.buffered_events()) {
      if (old.event_type() != api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) continue;
      auto* e = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
      *e->mutable_workflow_execution_signaled_event_attributes() =
          old.workflow_execution_signaled_event_attributes();
    }
  }

  // What was pending at the reset point is pending again, from now.
  for (auto& [id, ai] : *ms.mutable_activities()) {
    ai.set_attempt(1);
    *ai.mutable_first_scheduled_time() = ToProto(now);
    absl::Duration s2c = FromProto(ai.schedule_to_close_timeout());
    if (s2c > absl::ZeroDuration()) {
      AddActivityTimeout(tr, ai, api::v1::TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, now + s2c);
    }
    DispatchActivity(tr, ai);
  }
  for (const auto& [timer_id, ti] : ms.timers()) {
    internal::TimerTask t;
    t.set_type(internal::TIMER_TASK_TYPE_USER_TIMER);
    *t.mutable_fire_time() = ti.fire_time();
    t.set_event_id(ti.started_event_id());
    t.set_timer_id(timer_id);
    tr.AddTimerTask(std::move(t));
  }
  absl::Duration limit = absl::InfiniteDuration();
  if (FromProto(ms.run_timeout()) > absl::ZeroDuration()) limit = FromProto(ms.run_timeout());
  if (FromProto(ms.execution_timeout()) > absl::ZeroDuration()) {
    limit = std::min(limit, FromProto(ms.execution_timeout()));
  }
  if (limit != absl::InfiniteDuration()) {
    internal::TimerTask t;
    t.set_type(internal::TIMER_TASK_TYPE_WORKFLOW_RUN_TIMEOUT);
    *t.mutable_fire_time() = ToProto(std::max(now, FromProto(ms.start_time()) + limit));
    tr.AddTimerTask(std::move(t));
  }
  ms.mutable_workflow_task()->set_attempt(1);
  ScheduleWorkflowTask(tr);

  internal::CurrentExecution now_current;
  now_current.set_run_id(ms.run_id());
  now_current.set_status(api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  now_current.set_start_request_id(req.request_id());
  tr.SetCurrent(now_current);
  tr.UpdateVisibility();

  resp.set_run_id(ms.run_id());
  if (auto s = CommitAndInstall(base_locked, base_tr); !s.ok()) return s;
  return resp;
}

}  // namespace weft::history
