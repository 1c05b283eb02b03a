// Workflow tasks: recording a task as started, and applying the answer (commands or a
// failure). Part of HistoryEngine; see history_engine.h.
#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "server/common/backoff.h"
#include "server/common/logging.h"
#include "server/common/proto_time.h"
#include "server/history/history_engine.h"
#include "server/history/trace_context_util.h"
#include "server/history/visibility_handlers.h"
#include "server/visibility/schema.h"

namespace weft::history {

using api::v1::Command;
using api::v1::CommandType;

namespace {

constexpr size_t kMaxIdLength = 1000;

absl::Status StaleWorkflowTask(const std::string& why) {
  return absl::NotFoundError(absl::StrCat("workflow task not found: ", why,
                                          " (it timed out, was answered, or the run closed)"));
}

// The first workflow-task retry comes at once, later ones back off up to 10 s, so a worker
// that keeps failing (say, a non-determinism bug) does not spin.
absl::Duration WorkflowTaskRetryDelay(int attempt) {
  if (attempt <= 2) return absl::ZeroDuration();
  return std::min(absl::Seconds(10), absl::Milliseconds(500) * (1 << std::min(attempt - 3, 5)));
}

}  // namespace

absl::StatusOr<api::v1::PollWorkflowTaskQueueResponse> HistoryEngine::RecordWorkflowTaskStarted(
    const NamespaceRef& ns, const internal::BacklogTask& task, const std::string& identity) {
  auto l = LockRun(task.namespace_id(), task.workflow_id(), task.run_id(), ns.name);
  if (!l.ok()) return l.status();
  internal::MutableState ms = l->entry->state;
  if (ms.status() != api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING) {
    return StaleWorkflowTask("the run is closed");
  }
  auto* wt = ms.mutable_workflow_task();
  if (wt->scheduled_event_id() == 0 || wt->scheduled_event_id() != task.scheduled_event_id() ||
      wt->started_event_id() != 0) {
    return StaleWorkflowTask("already started or no longer scheduled");
  }
  Transition tr(*l->shard, ms, clock_->Now());
  auto* e = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_TASK_STARTED);
  auto* a = e->mutable_workflow_task_started_event_attributes();
  a->set_scheduled_event_id(wt->scheduled_event_id());
  a->set_identity(identity);
  int64_t previous_started = ms.last_workflow_task_started_event_id();
  // A task on a sticky queue goes to the worker that ran the previous one and has the run
  // cached: it gets only the events after that task's started event.
  const bool partial = !ms.sticky_task_queue().empty() && previous_started > 0;
  wt->set_started_event_id(e->event_id());
  *wt->mutable_started_time() = ToProto(tr.now());
  ms.set_last_workflow_task_started_event_id(e->event_id());
  internal::TimerTask timeout;
  timeout.set_type(internal::TIMER_TASK_TYPE_WORKFLOW_TASK_TIMEOUT);
  *timeout.mutable_fire_time() = ToProto(tr.now() + FromProto(ms.workflow_task_timeout()));
  timeout.set_event_id(wt->scheduled_event_id());
  timeout.set_attempt(wt->attempt());
  timeout.set_timeout_type(api::v1::TIMEOUT_TYPE_START_TO_CLOSE);
  tr.AddTimerTask(std::move(timeout));
  internal::WorkflowTaskInfo wt_info = *wt;
  // Handing a task to a worker acknowledges nothing to a caller: no fsync of its own. If a
  // power failure loses it, the task is dispatched again (see storage/group_committer.h).
  if (auto s = CommitAndInstall(*l, tr, /*sync=*/false); !s.ok()) return s;

  const internal::MutableState& state = l->entry->state;
  auto events =
      ReadHistory(*l->shard, state, partial ? previous_started + 1 : 1, wt_info.started_event_id());
  if (!events.ok()) return events.status();
  api::v1::PollWorkflowTaskQueueResponse resp;
  resp.set_partial_history(partial);
  if (partial && metrics_) metrics_->StickyTask(state.namespace_name(), "partial");
  internal::TaskToken token;
  token.set_namespace_id(state.namespace_id());
  token.set_workflow_id(state.workflow_id());
  token.set_run_id(state.run_id());
  token.set_scheduled_event_id(wt_info.scheduled_event_id());
  token.set_started_event_id(wt_info.started_event_id());
  token.set_attempt(wt_info.attempt());
  token.set_kind(internal::TASK_KIND_WORKFLOW);
  resp.set_task_token(token.SerializeAsString());
  resp.mutable_workflow_execution()->set_workflow_id(state.workflow_id());
  resp.mutable_workflow_execution()->set_run_id(state.run_id());
  *resp.mutable_workflow_type() = state.workflow_type();
  resp.set_previous_started_event_id(previous_started);
  resp.set_started_event_id(wt_info.started_event_id());
  resp.set_attempt(wt_info.attempt());
  resp.set_history_size_bytes(state.history_size_bytes());
  resp.set_suggest_continue_as_new(
      wt_info.started_event_id() >= options_.suggest_continue_as_new_events ||
      state.history_size_bytes() >= options_.suggest_continue_as_new_bytes);
  for (auto& ev : *events) *resp.mutable_history()->add_events() = std::move(ev);
  *resp.mutable_scheduled_time() = wt_info.scheduled_time();
  *resp.mutable_started_time() = wt_info.started_time();
  if (state.has_trace_context()) *resp.mutable_trace_context() = state.trace_context();
  return resp;
}

namespace {

// Warn for a worker's failure or non-determinism; a reset's or a lost sticky cache's
// "failure" is routine. The failure's message is cut (it is the application's text).
void LogWorkflowTaskFailed(const internal::MutableState& ms, api::v1::WorkflowTaskFailedCause cause,
                           const api::v1::Failure& failure, const std::string& identity) {
  telemetry::LogLevel level = telemetry::LogLevel::kWarn;
  if (cause == api::v1::WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW) {
    level = telemetry::LogLevel::kInfo;
  }
  if (cause == api::v1::WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE) {
    level = telemetry::LogLevel::kDebug;
  }
  telemetry::Logger& log = logs::History();
  if (!log.Enabled(level)) return;
  absl::string_view message = failure.message();
  log.Log(level,
          cause == api::v1::WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
              ? "workflow task failed: non-deterministic workflow"
              : "workflow task failed",
          {{"namespace", ms.namespace_name()},
           {"workflow_id", ms.workflow_id()},
           {"run_id", ms.run_id()},
           {"workflow_type", ms.workflow_type().name()},
           {"cause", api::v1::WorkflowTaskFailedCause_Name(cause)},
           {"attempt", ms.workflow_task().attempt()},
           {"failure_type", failure.type()},
           {"failure", message.substr(0, 256)},
           {"identity", identity}});
}

}  // namespace

void HistoryEngine::FailWorkflowTask(Transition& tr, api::v1::WorkflowTaskFailedCause cause,
                                     const api::v1::Failure& failure, const std::string& identity) {
  internal::MutableState& ms = tr.ms();
  auto* wt = ms.mutable_workflow_task();
  auto* e = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_TASK_FAILED);
  auto* a = e->mutable_workflow_task_failed_event_attributes();
  a->set_scheduled_event_id(wt->scheduled_event_id());
  a->set_started_event_id(wt->started_event_id());
  a->set_cause(cause);
  *a->mutable_failure() = failure;
  a->set_identity(identity);
  if (metrics_) {
    tr.OnCommitted(
        [m = metrics_, ns = ms.namespace_name(), c = api::v1::WorkflowTaskFailedCause_Name(cause)] {
          m->WorkflowTaskFailed(ns, c);
        });
  }
  LogWorkflowTaskFailed(ms, cause, failure, identity);
  int attempt = wt->attempt() + 1;
  wt->Clear();
  wt->set_attempt(attempt);
  // The worker's cached state did not produce an accepted answer: the retry goes to the
  // normal queue with the full history (as in Temporal).
  MoveToNormalQueue(tr);
  tr.FlushBuffered();
  absl::Duration delay = WorkflowTaskRetryDelay(attempt);
  if (delay <= absl::ZeroDuration()) {
    ScheduleWorkflowTask(tr);
    return;
  }
  wt->set_in_backoff(true);
  internal::TimerTask t;
  t.set_type(internal::TIMER_TASK_TYPE_WORKFLOW_TASK_RETRY);
  *t.mutable_fire_time() = ToProto(tr.now() + delay);
  t.set_attempt(attempt);
  tr.AddTimerTask(std::move(t));
}

absl::Status HistoryEngine::ValidateCommands(
    const internal::MutableState& ms, const google::protobuf::RepeatedPtrField<Command>& cmds) {
  std::set<std::string> activity_ids, timer_ids;
  for (const auto& [id, ai] : ms.activities()) activity_ids.insert(ai.activity_id());
  for (const auto& [id, ti] : ms.timers()) timer_ids.insert(id);
  for (int i = 0; i < cmds.size(); ++i) {
    const Command& c = cmds[i];
    auto bad = [&](const std::string& why) {
      return absl::InvalidArgumentError(absl::StrCat(
          "command ", i + 1, " (", api::v1::CommandType_Name(c.command_type()), "): ", why));
    };
    switch (c.command_type()) {
      case api::v1::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
        if (!c.has_schedule_activity_task_command_attributes()) return bad("attributes missing");
        const auto& a = c.schedule_activity_task_command_attributes();
        if (a.activity_id().empty() || a.activity_id().size() > kMaxIdLength) {
          return bad("activity_id must be 1 to 1000 bytes");
        }
        if (!activity_ids.insert(a.activity_id()).second) {
          return bad(absl::StrCat("activity_id \"", a.activity_id(), "\" is already in use"));
        }
        if (a.activity_type().name().empty()) return bad("activity_type.name is required");
        for (const auto* d : {&a.schedule_to_close_timeout(), &a.schedule_to_start_timeout(),
                              &a.start_to_close_timeout(), &a.heartbeat_timeout()}) {
          if (FromProto(*d) < absl::ZeroDuration()) return bad("timeouts must not be negative");
        }
        if (FromProto(a.start_to_close_timeout()) <= absl::ZeroDuration() &&
            FromProto(a.schedule_to_close_timeout()) <= absl::ZeroDuration()) {
          return bad("set start_to_close_timeout or schedule_to_close_timeout");
        }
        const auto& rp = a.retry_policy();
        if (rp.maximum_attempts() < 0) return bad("retry_policy.maximum_attempts must be >= 0");
        if (rp.backoff_coefficient() != 0 && rp.backoff_coefficient() < 1) {
          return bad("retry_policy.backoff_coefficient must be >= 1");
        }
        if (a.priority() < 0 || a.priority() > 5) {
          return bad(absl::StrCat("priority ", a.priority(),
                                  " is out of range: use 1 (highest) to 5, or 0 for the "
                                  "workflow's priority"));
        }
        break;
      }
      case api::v1::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: {
        if (!c.has_request_cancel_activity_task_command_attributes()) {
          return bad("attributes missing");
        }
        int64_t id = c.request_cancel_activity_task_command_attributes().scheduled_event_id();
        if (!ms.activities().contains(id)) {
          return bad(absl::StrCat("no pending activity with scheduled_event_id ", id));
        }
        break;
      }
      case api::v1::COMMAND_TYPE_START_TIMER: {
        if (!c.has_start_timer_command_attributes()) return bad("attributes missing");
        const auto& a = c.start_timer_command_attributes();
        if (a.timer_id().empty() || a.timer_id().size() > kMaxIdLength) {
          return bad("timer_id must be 1 to 1000 bytes");
        }
        if (!timer_ids.insert(a.timer_id()).second) {
          return bad(absl::StrCat("timer_id \"", a.timer_id(), "\" is already in use"));
        }
        if (FromProto(a.start_to_fire_timeout()) <= absl::ZeroDuration()) {
          return bad("start_to_fire_timeout must be positive");
        }
        break;
      }
      case api::v1::COMMAND_TYPE_CANCEL_TIMER: {
        if (!c.has_cancel_timer_command_attributes()) return bad("attributes missing");
        if (!timer_ids.contains(c.cancel_timer_command_attributes().timer_id())) {
          return bad(absl::StrCat("no pending timer \"",
                                  c.cancel_timer_command_attributes().timer_id(), "\""));
        }
        timer_ids.erase(c.cancel_timer_command_attributes().timer_id());
        break;
      }
      case api::v1::COMMAND_TYPE_RECORD_MARKER:
        if (!c.has_record_marker_command_attributes() ||
            c.record_marker_command_attributes().marker_name().empty()) {
          return bad("marker_name is required");
        }
        break;
      case api::v1::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: {
        if (!c.has_continue_as_new_workflow_execution_command_attributes()) {
          return bad("attributes missing");
        }
        const auto& a = c.continue_as_new_workflow_execution_command_attributes();
        if (a.workflow_type().name().size() > kMaxIdLength ||
            a.task_queue().name().size() > kMaxIdLength) {
          return bad("workflow_type and task_queue names are limited to 1000 bytes");
        }
        if (FromProto(a.workflow_run_timeout()) < absl::ZeroDuration() ||
            FromProto(a.workflow_task_timeout()) < absl::ZeroDuration()) {
          return bad("timeouts must not be negative");
        }
        if (i != cmds.size() - 1) return bad("a command that closes the run must be the last");
        break;
      }
      case api::v1::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
      case api::v1::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
      case api::v1::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
        if (i != cmds.size() - 1) return bad("a command that closes the run must be the last");
        if (c.command_type() == api::v1::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION &&
            !ms.cancel_requested()) {
          return bad("the run can only be canceled after a cancel request");
        }
        break;
      case api::v1::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
      case api::v1::COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
      case api::v1::COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
        if (std::string why = ValidateExternalCommand(ms, cmds, i); !why.empty()) return bad(why);
        break;
      case api::v1::COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        // Names and types were checked by the frontend; the totals depend on the run.
        if (!c.has_upsert_workflow_search_attributes_command_attributes()) {
          return bad("attributes missing");
        }
        api::v1::SearchAttributes merged = ms.search_attributes();
        if (auto s = visibility::MergeSearchAttributes(
                c.upsert_workflow_search_attributes_command_attributes().search_attributes(),
                &merged);
            !s.ok()) {
          return bad(std::string(s.message()));
        }
        break;
      }
      default:
        return bad("unknown command type");
    }
  }
  return absl::OkStatus();
}

void HistoryEngine::DispatchActivity(Transition& tr, internal::ActivityInfo& ai,
                                     EagerActivities* eager) {
  *ai.mutable_scheduled_time() = ToProto(tr.now());
  if (HoldIfBreakerRefuses(tr, ai)) return;  // not dispatched, not counted: breaker_hooks.cc
  if (metrics_) {
    tr.OnCommitted([m = metrics_, ns = tr.ms().namespace_name(), type = ai.activity_type().name()] {
      m->ActivityAttempt(ns, type);
    });
  }
  if (eager != nullptr && StartEagerly(tr, ai, *eager)) return;  // eager_activities.cc
  internal::TransferTask t;
  t.set_type(internal::TRANSFER_TASK_TYPE_ACTIVITY_TASK);
  t.set_task_queue(ai.task_queue());
  t.set_scheduled_event_id(ai.scheduled_event_id());
  t.set_attempt(ai.attempt());
  t.set_priority(ai.priority());  // 0 (scheduled before priorities): the run's
  tr.AddTransferTask(std::move(t));
  absl::Duration s2s = FromProto(ai.schedule_to_start_timeout());
  if (s2s > absl::ZeroDuration()) {
    AddActivityTimeout(tr, ai, api::v1::TIMEOUT_TYPE_SCHEDULE_TO_START, tr.now() + s2s);
  }
}

absl::Status HistoryEngine::ApplyCommands(Transition& tr,
                                          const api::v1::RespondWorkflowTaskCompletedRequest& req,
                                          int64_t completed_id, bool* closed,
                                          EagerActivities* eager) {
  internal::MutableState& ms = tr.ms();
  // Outcomes decided on the spot (cancel of an activity that had not started) are appended
  // after all command events, which must stay contiguous.
  std::vector<internal::ActivityInfo> canceled_now;
  for (const Command& c : req.commands()) {
    switch (c.command_type()) {
      case api::v1::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
        const auto& a = c.schedule_activity_task_command_attributes();
        auto* e = tr.Append(api::v1::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
        auto* ea = e->mutable_activity_task_scheduled_event_attributes();
        ea->set_activity_id(a.activity_id());
        *ea->mutable_activity_type() = a.activity_type();
        ea->mutable_task_queue()->set_name(a.task_queue().name().empty() ? ms.task_queue()
                                                                         : a.task_queue().name());
        *ea->mutable_input() = a.input();
        absl::Duration s2c = FromProto(a.schedule_to_close_timeout());
        absl::Duration stc = FromProto(a.start_to_close_timeout());
        if (stc <= absl::ZeroDuration()) stc = s2c;
        *ea->mutable_schedule_to_close_timeout() = a.schedule_to_close_timeout();
        *ea->mutable_schedule_to_start_timeout() = a.schedule_to_start_timeout();
        *ea->mutable_start_to_close_timeout() = ToProto(stc);
        *ea->mutable_heartbeat_timeout() = a.heartbeat_timeout();
        ea->set_workflow_task_completed_event_id(completed_id);
        *ea->mutable_retry_policy() = WithRetryDefaults(a.retry_policy());
        StampTrace(e);

        internal::ActivityInfo& ai = (*ms.mutable_activities())[e->event_id()];
        ai.set_scheduled_event_id(e->event_id());
        ai.set_activity_id(a.activity_id());
        *ai.mutable_activity_type() = a.activity_type();
        ai.set_task_queue(ea->task_queue().name());
        ai.set_priority(a.priority() != 0 ? a.priority() : ms.priority());
        *ai.mutable_input() = a.input();
        *ai.mutable_schedule_to_close_timeout() = a.schedule_to_close_timeout();
        if (e->has_trace_context()) *ai.mutable_trace_context() = e->trace_context();
        *ai.mutable_schedule_to_start_timeout() = a.schedule_to_start_timeout();
        *ai.mutable_start_to_close_timeout() = ToProto(stc);
        *ai.mutable_heartbeat_timeout() = a.heartbeat_timeout();
        *ai.mutable_retry_policy() = ea->retry_policy();
        ai.set_attempt(1);
        *ai.mutable_first_scheduled_time() = ToProto(tr.now());
        if (s2c > absl::ZeroDuration()) {
          AddActivityTimeout(tr, ai, api::v1::TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, tr.now() + s2c);
        }
        DispatchActivity(tr, ai, a.request_eager_execution() ? eager : nullptr);
        break;
      }
      case api::v1::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: {
        int64_t id = c.request_cancel_activity_task_command_attributes().scheduled_event_id();
        internal::ActivityInfo& ai = (*ms.mutable_activities())[id];
        auto* e = tr.Append(api::v1::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED);
        auto* ea = e->mutable_activity_task_cancel_requested_event_attributes();
        ea->set_scheduled_event_id(id);
        ea->set_workflow_task_completed_event_id(completed_id);
        ai.set_cancel_requested(true);
        ai.set_cancel_requested_event_id(e->event_id());
        if (!ai.started()) {
          canceled_now.push_back(ai);
          ms.mutable_activities()->erase(id);
        }
        break;
      }
      case api::v1::COMMAND_TYPE_START_TIMER: {
        const auto& a = c.start_timer_command_attributes();
        auto* e = tr.Append(api::v1::EVENT_TYPE_TIMER_STARTED);
        auto* ea = e->mutable_timer_started_event_attributes();
        ea->set_timer_id(a.timer_id());
        *ea->mutable_start_to_fire_timeout() = a.start_to_fire_timeout();
        ea->set_workflow_task_completed_event_id(completed_id);
        absl::Time fire = tr.now() + FromProto(a.start_to_fire_timeout());
        internal::TimerInfo& ti = (*ms.mutable_timers())[a.timer_id()];
        ti.set_timer_id(a.timer_id());
        ti.set_started_event_id(e->event_id());
        *ti.mutable_fire_time() = ToProto(fire);
        internal::TimerTask t;
        t.set_type(internal::TIMER_TASK_TYPE_USER_TIMER);
        *t.mutable_fire_time() = ToProto(fire);
        t.set_event_id(e->event_id());
        t.set_timer_id(a.timer_id());
        tr.AddTimerTask(std::move(t));
        break;
      }
      case api::v1::COMMAND_TYPE_CANCEL_TIMER: {
        const std::string& id = c.cancel_timer_command_attributes().timer_id();
        auto* e = tr.Append(api::v1::EVENT_TYPE_TIMER_CANCELED);
        auto* ea = e->mutable_timer_canceled_event_attributes();
        ea->set_timer_id(id);
        ea->set_started_event_id(ms.timers().at(id).started_event_id());
        ea->set_workflow_task_completed_event_id(completed_id);
        ea->set_identity(req.identity());
        ms.mutable_timers()->erase(id);
        break;
      }
      case api::v1::COMMAND_TYPE_RECORD_MARKER: {
        const auto& a = c.record_marker_command_attributes();
        auto* e = tr.Append(api::v1::EVENT_TYPE_MARKER_RECORDED);
        auto* ea = e->mutable_marker_recorded_event_attributes();
        ea->set_marker_name(a.marker_name());
        *ea->mutable_details() = a.details();
        if (a.has_failure()) *ea->mutable_failure() = a.failure();
        ea->set_workflow_task_completed_event_id(completed_id);
        break;
      }
      case api::v1::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: {
        auto* e = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
        auto* ea = e->mutable_workflow_execution_completed_event_attributes();
        *ea->mutable_result() = c.complete_workflow_execution_command_attributes().result();
        ea->set_workflow_task_completed_event_id(completed_id);
        CloseRun(tr, api::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
        *closed = true;
        break;
      }
      case api::v1::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: {
        auto* e = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
        auto* ea = e->mutable_workflow_execution_failed_event_attributes();
        *ea->mutable_failure() = c.fail_workflow_execution_command_attributes().failure();
        ea->set_retry_state(api::v1::RETRY_STATE_RETRY_POLICY_NOT_SET);
        ea->set_workflow_task_completed_event_id(completed_id);
        CloseRun(tr, api::v1::WORKFLOW_EXECUTION_STATUS_FAILED);
        *closed = true;
        break;
      }
      case api::v1::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION: {
        auto* e = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
        auto* ea = e->mutable_workflow_execution_canceled_event_attributes();
        *ea->mutable_details() = c.cancel_workflow_execution_command_attributes().details();
        ea->set_workflow_task_completed_event_id(completed_id);
        CloseRun(tr, api::v1::WORKFLOW_EXECUTION_STATUS_CANCELED);
        *closed = true;
        break;
      }
      case api::v1::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: {
        const auto& a = c.continue_as_new_workflow_execution_command_attributes();
        NewRun spec;
        spec.workflow_id = ms.workflow_id();
        spec.type = a.workflow_type().name().empty() ? ms.workflow_type() : a.workflow_type();
        spec.task_queue = a.task_queue().name().empty() ? ms.task_queue() : a.task_queue().name();
        spec.input = a.input();
        spec.task_timeout = FromProto(a.workflow_task_timeout());
        if (spec.task_timeout <= absl::ZeroDuration()) {
          spec.task_timeout = FromProto(ms.workflow_task_timeout());
        }
        spec.run_timeout = FromProto(a.workflow_run_timeout());
        if (spec.run_timeout <= absl::ZeroDuration())
          spec.run_timeout = FromProto(ms.run_timeout());
        spec.memo = ms.memo();
        spec.search_attributes =
            a.has_search_attributes() ? a.search_attributes() : ms.search_attributes();
        spec.priority = ms.priority();  // a continued run keeps its place in the queues
        spec.identity = req.identity();
        spec.continued_from_run_id = ms.run_id();
        spec.first_run_id = ms.first_run_id().empty() ? ms.run_id() : ms.first_run_id();
        spec.trace_context = ms.trace_context();  // the new run continues the start's trace
        if (!ms.parent_workflow_id().empty()) {
          // A child that continues as new stays the parent's child: the last run reports.
          spec.parent = ParentRef{ms.parent_namespace_id(),       ms.parent_namespace(),
                                  ms.parent_workflow_id(),        ms.parent_run_id(),
                                  ms.parent_initiated_event_id(), {}};
        }
        Transition& next = tr.AddRun(NewRunState({ms.namespace_id(), ms.namespace_name()}, spec));
        InitRun(next, spec);

        auto* e = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
        auto* ea = e->mutable_workflow_execution_continued_as_new_event_attributes();
        ea->set_new_execution_run_id(next.ms().run_id());
        *ea->mutable_workflow_type() = spec.type;
        ea->mutable_task_queue()->set_name(spec.task_queue);
        *ea->mutable_input() = spec.input;
        *ea->mutable_workflow_run_timeout() = ToProto(spec.run_timeout);
        *ea->mutable_workflow_task_timeout() = ToProto(spec.task_timeout);
        *ea->mutable_search_attributes() = spec.search_attributes;
        ea->set_workflow_task_completed_event_id(completed_id);
        ms.set_continued_as_run_id(next.ms().run_id());
        CloseRun(tr, api::v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW);
        *closed = true;
        break;
      }
      case api::v1::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
      case api::v1::COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
      case api::v1::COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
        ApplyExternalCommand(tr, c, completed_id);
        break;
      case api::v1::COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        ApplyUpsertSearchAttributes(tr, c.upsert_workflow_search_attributes_command_attributes(),
                                    completed_id);
        break;
      default:
        return absl::InvalidArgumentError("unknown command type");  // ValidateCommands caught it
    }
  }
  for (const auto& ai : canceled_now) {
    auto* e = tr.Append(api::v1::EVENT_TYPE_ACTIVITY_TASK_CANCELED);
    auto* ea = e->mutable_activity_task_canceled_event_attributes();
    ea->set_scheduled_event_id(ai.scheduled_event_id());
    ea->set_latest_cancel_requested_event_id(ai.cancel_requested_event_id());
  }
  if (!canceled_now.empty() && !*closed) {
    // The workflow has not seen these outcomes yet.
    ms.mutable_workflow_task()->set_attempt(1);
    ScheduleWorkflowTask(tr);
  }
  return absl::OkStatus();
}

absl::Status HistoryEngine::RespondWorkflowTaskCompleted(
    const NamespaceRef& ns, const api::v1::RespondWorkflowTaskCompletedRequest& req) {
  return RespondWorkflowTaskCompleted(ns, req, nullptr);
}

absl::Status HistoryEngine::RespondWorkflowTaskCompleted(
    const NamespaceRef& ns, const api::v1::RespondWorkflowTaskCompletedRequest& req,
    api::v1::RespondWorkflowTaskCompletedResponse* response) {
  auto token = DecodeToken(req.task_token(), internal::TASK_KIND_WORKFLOW);
  if (!token.ok()) return token.status();
  if (token->namespace_id() != ns.id) {
    return absl::InvalidArgumentError("task_token belongs to another namespace");
  }
  auto l = LockRun(token->namespace_id(), token->workflow_id(), token->run_id(), ns.name);
  if (!l.ok()) return l.status();
  internal::MutableState ms = l->entry->state;
  const auto& wt = ms.workflow_task();
  if (ms.status() != api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING) {
    return StaleWorkflowTask("the run is closed");
  }
  if (wt.scheduled_event_id() != token->scheduled_event_id() ||
      wt.started_event_id() != token->started_event_id() || wt.started_event_id() == 0) {
    return StaleWorkflowTask("it is not the task in flight");
  }
  Transition tr(*l->shard, ms, clock_->Now());
  absl::Status invalid = ValidateCommands(ms, req.commands());
  if (!invalid.ok()) {
    api::v1::Failure f;
    f.set_message(std::string(invalid.message()));
    FailWorkflowTask(tr, api::v1::WORKFLOW_TASK_FAILED_CAUSE_BAD_COMMAND, f, req.identity());
    if (auto s = CommitAndInstall(*l, tr); !s.ok()) return s;
    return invalid;
  }
  bool closes =
      !req.commands().empty() &&
      (req.commands().rbegin()->command_type() ==
           api::v1::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION ||
       req.commands().rbegin()->command_type() == api::v1::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION ||
       req.commands().rbegin()->command_type() == api::v1::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION);
  if (closes && ms.buffered_events_size() > 0) {
    // New events (a signal, an activity result) arrived while the worker decided to close:
    // refuse the close and let the workflow see them first, so nothing is lost.
    api::v1::Failure f;
    f.set_message("unhandled new events arrived while the workflow task ran; retrying with them");
    f.set_type("UnhandledCommand");
    internal::WorkflowTaskInfo* wtp = ms.mutable_workflow_task();
    wtp->set_attempt(0);  // a fresh task at once, not a backoff
    FailWorkflowTask(tr, api::v1::WORKFLOW_TASK_FAILED_CAUSE_BAD_COMMAND, f, req.identity());
    return CommitAndInstall(*l, tr);
  }
  auto* e = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  auto* a = e->mutable_workflow_task_completed_event_attributes();
  a->set_scheduled_event_id(wt.scheduled_event_id());
  a->set_started_event_id(wt.started_event_id());
  a->set_identity(req.identity());
  int64_t completed_id = e->event_id();
  ms.mutable_workflow_task()->Clear();
  ApplyStickyAttributes(ms, req);  // before any command schedules the next workflow task
  bool closed = false;
  // A run that closes in this completion has no use for activities started now.
  std::optional<EagerActivities> eager;
  if (response != nullptr && req.eager_activity_slots() > 0 && !ClosesRun(req.commands())) {
    eager.emplace();
    eager->identity = req.identity();
    eager->slots = req.eager_activity_slots();
  }
  if (auto s = ApplyCommands(tr, req, completed_id, &closed, eager ? &*eager : nullptr); !s.ok()) {
    return s;
  }
  if (!closed && tr.FlushBuffered() > 0 && ms.workflow_task().scheduled_event_id() == 0) {
    ms.mutable_workflow_task()->set_attempt(1);
    ScheduleWorkflowTask(tr);
  }
  if (auto s = CommitAndInstall(*l, tr); !s.ok()) return s;
  if (eager) AddEagerTasks(ns, l->entry->state, *eager, response);
  return absl::OkStatus();
}

absl::Status HistoryEngine::RespondWorkflowTaskFailed(
    const NamespaceRef& ns, const api::v1::RespondWorkflowTaskFailedRequest& req) {
  auto token = DecodeToken(req.task_token(), internal::TASK_KIND_WORKFLOW);
  if (!token.ok()) return token.status();
  if (token->namespace_id() != ns.id) {
    return absl::InvalidArgumentError("task_token belongs to another namespace");
  }
  auto l = LockRun(token->namespace_id(), token->workflow_id(), token->run_id(), ns.name);
  if (!l.ok()) return l.status();
  internal::MutableState ms = l->entry->state;
  const auto& wt = ms.workflow_task();
  if (ms.status() != api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING ||
      wt.scheduled_event_id() != token->scheduled_event_id() ||
      wt.started_event_id() != token->started_event_id() || wt.started_event_id() == 0) {
    return StaleWorkflowTask("it is not the task in flight");
  }
  Transition tr(*l->shard, ms, clock_->Now());
  FailWorkflowTask(tr, req.cause(), req.failure(), req.identity());
  return CommitAndInstall(*l, tr);
}

}  // namespace weft::history
