// Transfer and timer tasks: dispatching committed work to matching, and everything that
// happens because time passed (user timers, activity and workflow-task timeouts, retry
// backoffs, run timeouts). Part of HistoryEngine; see history_engine.h.
//
// A timer task is checked against the current mutable state when it fires; one that no
// longer matches (the attempt moved on, the timer was canceled, the run closed) is dropped.
#include "absl/strings/str_cat.h"
#include "server/common/logging.h"
#include "server/common/proto_time.h"
#include "server/history/history_engine.h"

namespace weft::history {

absl::Status HistoryEngine::HandleTransferTask(Shard& shard, const internal::TransferTask& t) {
  if (t.type() >= internal::TRANSFER_TASK_TYPE_START_CHILD_EXECUTION &&
      t.type() <= internal::TRANSFER_TASK_TYPE_CLOSE_EXECUTION) {
    return HandleExternalTransferTask(t);  // child_workflow_handlers.cc
  }
  internal::BacklogTask task;
  task.set_namespace_id(t.namespace_id());
  task.set_workflow_id(t.workflow_id());
  task.set_run_id(t.run_id());
  task.set_scheduled_event_id(t.scheduled_event_id());
  task.set_attempt(t.attempt());
  task.set_namespace_name(t.namespace_name());
  task.set_priority(t.priority());  // 0 (a task written before priorities): the default
  *task.mutable_create_time() = ToProto(clock_->Now());
  matching::TaskQueueId queue{t.namespace_id(), t.task_queue(),
                              t.type() == internal::TRANSFER_TASK_TYPE_WORKFLOW_TASK
                                  ? internal::TASK_KIND_WORKFLOW
                                  : internal::TASK_KIND_ACTIVITY,
                              t.namespace_name()};
  return matching_->AddTask(queue, task);
}

namespace {

// Whether a timer task still guards something: the timer is pending, the attempt it times is
// the current one, the run is open. Checked on the cached state before anything is copied.
bool TimerTaskIsCurrent(const internal::MutableState& ms, const internal::TimerTask& t) {
  if (ms.status() != api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING) return false;
  switch (t.type()) {
    case internal::TIMER_TASK_TYPE_USER_TIMER: {
      auto it = ms.timers().find(t.timer_id());
      return it != ms.timers().end() && it->second.started_event_id() == t.event_id();
    }
    case internal::TIMER_TASK_TYPE_ACTIVITY_TIMEOUT: {
      auto it = ms.activities().find(t.event_id());
      if (it == ms.activities().end()) return false;
      const internal::ActivityInfo& ai = it->second;
      bool same_attempt = ai.attempt() == t.attempt();
      switch (t.timeout_type()) {
        case api::v1::TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
          return true;
        case api::v1::TIMEOUT_TYPE_SCHEDULE_TO_START:
          return same_attempt && !ai.started() && !ai.in_backoff();
        case api::v1::TIMEOUT_TYPE_START_TO_CLOSE:
        case api::v1::TIMEOUT_TYPE_HEARTBEAT:
          return same_attempt && ai.started();
        default:
          return false;
      }
    }
    case internal::TIMER_TASK_TYPE_ACTIVITY_RETRY: {
      auto it = ms.activities().find(t.event_id());
      return it != ms.activities().end() &&
             HistoryEngine::ActivityRetryTimerIsCurrent(it->second, t);
    }
    case internal::TIMER_TASK_TYPE_WORKFLOW_TASK_TIMEOUT: {
      const auto& wt = ms.workflow_task();
      return wt.scheduled_event_id() == t.event_id() && wt.started_event_id() != 0 &&
             wt.attempt() == t.attempt();
    }
    case internal::TIMER_TASK_TYPE_WORKFLOW_TASK_RETRY:
      return ms.workflow_task().in_backoff() && ms.workflow_task().attempt() == t.attempt();
    case internal::TIMER_TASK_TYPE_STICKY_SCHEDULE_TO_START:
      return HistoryEngine::StickyTimerIsCurrent(ms, t);
    case internal::TIMER_TASK_TYPE_WORKFLOW_RUN_TIMEOUT:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::Status HistoryEngine::HandleTimerTask(Shard& shard, const internal::TimerTask& t) {
  if (metrics_) {
    metrics_->RecordTimerDelay(absl::ToDoubleSeconds(clock_->Now() - FromProto(t.fire_time())));
  }
  if (t.type() == internal::TIMER_TASK_TYPE_DELETE_HISTORY) return DeleteClosedRun(shard, t);
  auto l = LockRun(t.namespace_id(), t.workflow_id(), t.run_id(), t.namespace_id());
  if (absl::IsNotFound(l.status())) {
    ForgetBreakerHold(t);
    return absl::OkStatus();
  }
  if (!l.ok()) return l.status();
  if (!TimerTaskIsCurrent(l->entry->state, t)) {  // stale: drop
    ForgetBreakerHold(t);
    return absl::OkStatus();
  }
  internal::MutableState ms = l->entry->state;
  Transition tr(shard, ms, clock_->Now());

  switch (t.type()) {
    case internal::TIMER_TASK_TYPE_USER_TIMER: {
      auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_TIMER_FIRED);
      e->mutable_timer_fired_event_attributes()->set_timer_id(t.timer_id());
      e->mutable_timer_fired_event_attributes()->set_started_event_id(t.event_id());
      ms.mutable_timers()->erase(t.timer_id());
      ScheduleWorkflowTaskIfNeeded(tr);
      break;
    }
    case internal::TIMER_TASK_TYPE_ACTIVITY_TIMEOUT: {
      internal::ActivityInfo& ai = ms.mutable_activities()->at(t.event_id());
      if (t.timeout_type() == api::v1::TIMEOUT_TYPE_HEARTBEAT) {
        absl::Time last = FromProto(ai.started_time());
        if (ai.has_last_heartbeat_time()) {
          last = std::max(last, FromProto(ai.last_heartbeat_time()));
        }
        absl::Time due = last + FromProto(ai.heartbeat_timeout());
        if (due > tr.now()) {
          // A heartbeat came in: check again when the new deadline passes.
          AddActivityTimeout(tr, ai, api::v1::TIMEOUT_TYPE_HEARTBEAT, due);
          return CommitAndInstall(*l, tr, /*sync=*/false);
        }
      }
      logs::History().Warn("activity timed out",
                           {{"namespace", ms.namespace_name()},
                            {"workflow_id", ms.workflow_id()},
                            {"run_id", ms.run_id()},
                            {"activity_type", ai.activity_type().name()},
                            {"activity_id", ai.activity_id()},
                            {"attempt", ai.attempt()},
                            {"timeout_type", api::v1::TimeoutType_Name(t.timeout_type())}});
      api::v1::Failure f;
      f.set_message(absl::StrCat("activity ", ai.activity_type().name(), " (activity_id ",
                                 ai.activity_id(), ") attempt ", ai.attempt(),
                                 " timed out: ", api::v1::TimeoutType_Name(t.timeout_type())));
      f.set_type("TimeoutError");
      FailActivityAttempt(tr, ai, f, t.timeout_type(), "");
      break;
    }
    case internal::TIMER_TASK_TYPE_ACTIVITY_RETRY: {
      internal::ActivityInfo& ai = ms.mutable_activities()->at(t.event_id());
      ai.set_in_backoff(false);
      DispatchActivity(tr, ai);
      break;
    }
    case internal::TIMER_TASK_TYPE_WORKFLOW_TASK_TIMEOUT: {
      auto* wt = ms.mutable_workflow_task();
      logs::History().Warn("workflow task timed out", {{"namespace", ms.namespace_name()},
                                                       {"workflow_id", ms.workflow_id()},
                                                       {"run_id", ms.run_id()},
                                                       {"attempt", wt->attempt()}});
      auto* e = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
      auto* a = e->mutable_workflow_task_timed_out_event_attributes();
      a->set_scheduled_event_id(wt->scheduled_event_id());
      a->set_started_event_id(wt->started_event_id());
      a->set_timeout_type(api::v1::TIMEOUT_TYPE_START_TO_CLOSE);
      int attempt = wt->attempt() + 1;
      wt->Clear();
      wt->set_attempt(attempt);
      MoveToNormalQueue(tr);  // the worker may be gone: retry with the full history
      tr.FlushBuffered();
      ScheduleWorkflowTask(tr);
      break;
    }
    case internal::TIMER_TASK_TYPE_STICKY_SCHEDULE_TO_START:
      // No worker started the task on the sticky queue in time (it may be gone).
      MoveToNormalQueue(tr);
      break;
    case internal::TIMER_TASK_TYPE_WORKFLOW_TASK_RETRY:
      ScheduleWorkflowTask(tr);
      break;
    case internal::TIMER_TASK_TYPE_WORKFLOW_RUN_TIMEOUT: {
      tr.FlushBuffered();
      auto* e = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT);
      e->mutable_workflow_execution_timed_out_event_attributes()->set_retry_state(
          api::v1::RETRY_STATE_TIMEOUT);
      CloseRun(tr, api::v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT);
      break;
    }
    default:
      return absl::OkStatus();
  }
  return CommitAndInstall(*l, tr);
}

}  // namespace weft::history
