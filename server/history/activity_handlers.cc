// Activity attempts: start, heartbeat, completion, failure with server-side retries, and
// cancellation. Part of HistoryEngine; see history_engine.h.
#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/common/backoff.h"
#include "server/common/proto_time.h"
#include "server/history/history_engine.h"

namespace weft::history {

namespace {

absl::Status StaleActivity(const std::string& why) {
  return absl::NotFoundError(absl::StrCat("activity task not found: ", why,
                                          " (it timed out, was retried, or the run closed)"));
}

}  // namespace

absl::StatusOr<api::v1::PollActivityTaskQueueResponse> HistoryEngine::RecordActivityTaskStarted(
    const NamespaceRef& ns, const internal::BacklogTask& task, const std::string& identity) {
  auto l = LockRun(task.namespace_id(), task.workflow_id(), task.run_id(), ns.name);
  if (!l.ok()) return l.status();
  internal::MutableState ms = l->entry->state;
  if (ms.status() != api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING) {
    return StaleActivity("the run is closed");
  }
  auto it = ms.mutable_activities()->find(task.scheduled_event_id());
  if (it == ms.mutable_activities()->end()) return StaleActivity("no longer pending");
  internal::ActivityInfo& ai = it->second;
  if (ai.attempt() != task.attempt() || ai.started() || ai.in_backoff()) {
    return StaleActivity("this attempt already started or was superseded");
  }
  Transition tr(*l->shard, ms, clock_->Now());
  // Dispatched while its breaker let attempts through, but it has opened since: the attempt
  // waits (held, not failed) instead of reaching the downstream.
  if (HoldIfBreakerRefuses(tr, ai)) {
    if (auto s = CommitAndInstall(*l, tr); !s.ok()) return s;
    return StaleActivity("held back by its circuit breaker");
  }
  StartActivityAttempt(tr, ai, identity);
  api::v1::PollActivityTaskQueueResponse resp = ActivityTaskFor(ns.name, ms, ai);
  // As for workflow tasks: a hand-off to a worker needs no fsync of its own.
  if (auto s = CommitAndInstall(*l, tr, /*sync=*/false); !s.ok()) return s;
  return resp;
}

void HistoryEngine::StartActivityAttempt(Transition& tr, internal::ActivityInfo& ai,
                                         const std::string& identity) {
  if (metrics_) {
    double waited = absl::ToDoubleSeconds(tr.now() - FromProto(ai.scheduled_time()));
    tr.OnCommitted([m = metrics_, ns = tr.ms().namespace_name(), waited] {
      m->ActivityScheduleToStart(ns, waited);
    });
  }
  ai.set_started(true);
  *ai.mutable_started_time() = ToProto(tr.now());
  ai.set_started_identity(identity);
  ai.clear_last_heartbeat_time();
  AddActivityTimeout(tr, ai, api::v1::TIMEOUT_TYPE_START_TO_CLOSE,
                     tr.now() + FromProto(ai.start_to_close_timeout()));
  absl::Duration hb = FromProto(ai.heartbeat_timeout());
  if (hb > absl::ZeroDuration()) {
    AddActivityTimeout(tr, ai, api::v1::TIMEOUT_TYPE_HEARTBEAT, tr.now() + hb);
  }
}

api::v1::PollActivityTaskQueueResponse HistoryEngine::ActivityTaskFor(
    const std::string& ns_name, const internal::MutableState& ms,
    const internal::ActivityInfo& ai) {
  api::v1::PollActivityTaskQueueResponse resp;
  internal::TaskToken token;
  token.set_namespace_id(ms.namespace_id());
  token.set_workflow_id(ms.workflow_id());
  token.set_run_id(ms.run_id());
  token.set_scheduled_event_id(ai.scheduled_event_id());
  token.set_attempt(ai.attempt());
  token.set_activity_id(ai.activity_id());
  token.set_kind(internal::TASK_KIND_ACTIVITY);
  resp.set_task_token(token.SerializeAsString());
  resp.set_workflow_namespace(ns_name);
  *resp.mutable_workflow_type() = ms.workflow_type();
  resp.mutable_workflow_execution()->set_workflow_id(ms.workflow_id());
  resp.mutable_workflow_execution()->set_run_id(ms.run_id());
  *resp.mutable_activity_type() = ai.activity_type();
  resp.set_activity_id(ai.activity_id());
  *resp.mutable_input() = ai.input();
  *resp.mutable_scheduled_time() = ai.scheduled_time();
  *resp.mutable_started_time() = ai.started_time();
  *resp.mutable_schedule_to_close_timeout() = ai.schedule_to_close_timeout();
  *resp.mutable_start_to_close_timeout() = ai.start_to_close_timeout();
  *resp.mutable_heartbeat_timeout() = ai.heartbeat_timeout();
  resp.set_attempt(ai.attempt());
  if (ai.has_heartbeat_details()) *resp.mutable_heartbeat_details() = ai.heartbeat_details();
  if (ai.has_trace_context()) *resp.mutable_trace_context() = ai.trace_context();
  return resp;
}

void HistoryEngine::AddActivityTimeout(Transition& tr, const internal::ActivityInfo& ai,
                                       api::v1::TimeoutType type, absl::Time fire) {
  internal::TimerTask t;
  t.set_type(internal::TIMER_TASK_TYPE_ACTIVITY_TIMEOUT);
  t.set_timeout_type(type);
  *t.mutable_fire_time() = ToProto(fire);
  t.set_event_id(ai.scheduled_event_id());
  // Schedule-to-close spans every attempt; the others guard one attempt.
  if (type != api::v1::TIMEOUT_TYPE_SCHEDULE_TO_CLOSE) t.set_attempt(ai.attempt());
  tr.AddTimerTask(std::move(t));
}

int64_t HistoryEngine::AppendActivityStarted(Transition& tr, const internal::ActivityInfo& ai) {
  auto* s = tr.AppendExternal(api::v1::EVENT_TYPE_ACTIVITY_TASK_STARTED);
  // Written when the attempt closes, but dated when it started (as Temporal does), so that
  // scheduled -> started -> closed in history show the queue wait and the execution time.
  if (ai.has_started_time()) *s->mutable_event_time() = ai.started_time();
  auto* sa = s->mutable_activity_task_started_event_attributes();
  sa->set_scheduled_event_id(ai.scheduled_event_id());
  sa->set_identity(ai.started_identity());
  sa->set_attempt(ai.attempt());
  if (ai.has_last_failure()) *sa->mutable_last_failure() = ai.last_failure();
  return s->event_id();  // 0 while buffered: linked when flushed
}

void HistoryEngine::FailActivityAttempt(Transition& tr, internal::ActivityInfo& ai,
                                        const api::v1::Failure& failure,
                                        api::v1::TimeoutType timeout_type,
                                        const std::string& identity) {
  internal::MutableState& ms = tr.ms();
  if (metrics_) {
    std::string reason = "failed";
    if (timeout_type != api::v1::TIMEOUT_TYPE_UNSPECIFIED) {
      reason = absl::AsciiStrToLower(api::v1::TimeoutType_Name(timeout_type).substr(13));
    }
    tr.OnCommitted([m = metrics_, ns = ms.namespace_name(), type = ai.activity_type().name(),
                    reason] { m->ActivityFailure(ns, type, reason); });
  }
  absl::Duration s2c = FromProto(ai.schedule_to_close_timeout());
  absl::Time expiration = s2c > absl::ZeroDuration() ? FromProto(ai.first_scheduled_time()) + s2c
                                                     : absl::InfiniteFuture();
  api::v1::RetryState state;
  if (timeout_type == api::v1::TIMEOUT_TYPE_SCHEDULE_TO_CLOSE ||
      timeout_type == api::v1::TIMEOUT_TYPE_SCHEDULE_TO_START) {
    state = api::v1::RETRY_STATE_TIMEOUT;
  } else if (ai.cancel_requested()) {
    state = api::v1::RETRY_STATE_CANCEL_REQUESTED;
  } else {
    state = DecideRetry(ai.retry_policy(), ai.attempt(), failure.type(), failure.non_retryable(),
                        tr.now(), expiration);
  }
  // For its breaker, a failure of the downstream unless the attempt never started, was being
  // canceled, or failed for a reason retrying cannot fix (that says something about the
  // request, not about the downstream's health).
  ReportToBreaker(
      tr, ai,
      !ai.started() || ai.cancel_requested() || state == api::v1::RETRY_STATE_NON_RETRYABLE_FAILURE
          ? AttemptOutcome::kNeutral
          : AttemptOutcome::kFailure);
  if (state == api::v1::RETRY_STATE_IN_PROGRESS) {
    // Retried by the server: only mutable state changes; history shows the final outcome.
    int next = ai.attempt() + 1;
    ai.set_attempt(next);
    ai.set_started(false);
    ai.set_in_backoff(true);
    *ai.mutable_last_failure() = failure;
    internal::TimerTask t;
    t.set_type(internal::TIMER_TASK_TYPE_ACTIVITY_RETRY);
    *t.mutable_fire_time() = ToProto(tr.now() + RetryBackoff(ai.retry_policy(), next));
    t.set_event_id(ai.scheduled_event_id());
    t.set_attempt(next);
    tr.AddTimerTask(std::move(t));
    return;
  }
  int64_t scheduled = ai.scheduled_event_id();
  int64_t started_id = ai.started() ? AppendActivityStarted(tr, ai) : 0;
  if (timeout_type != api::v1::TIMEOUT_TYPE_UNSPECIFIED) {
    auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT);
    auto* ea = e->mutable_activity_task_timed_out_event_attributes();
    *ea->mutable_failure() = failure;
    ea->set_scheduled_event_id(scheduled);
    ea->set_started_event_id(started_id);
    ea->set_retry_state(state);
    ea->set_timeout_type(timeout_type);
  } else {
    auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_ACTIVITY_TASK_FAILED);
    auto* ea = e->mutable_activity_task_failed_event_attributes();
    *ea->mutable_failure() = failure;
    ea->set_scheduled_event_id(scheduled);
    ea->set_started_event_id(started_id);
    ea->set_identity(identity);
    ea->set_retry_state(state);
  }
  ms.mutable_activities()->erase(scheduled);
  ScheduleWorkflowTaskIfNeeded(tr);
}

absl::StatusOr<HistoryEngine::LockedActivity> HistoryEngine::LockActivity(
    const NamespaceRef& ns, const std::string& task_token) {
  auto token = DecodeToken(task_token, internal::TASK_KIND_ACTIVITY);
  if (!token.ok()) return token.status();
  if (token->namespace_id() != ns.id) {
    return absl::InvalidArgumentError("task_token belongs to another namespace");
  }
  auto l = LockRun(token->namespace_id(), token->workflow_id(), token->run_id(), ns.name);
  if (!l.ok()) return l.status();
  internal::MutableState ms = l->entry->state;
  LockedActivity la{std::move(*l), std::move(ms), token->scheduled_event_id()};
  if (la.ms.status() != api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING) {
    return StaleActivity("the run is closed");
  }
  auto it = la.ms.activities().find(token->scheduled_event_id());
  if (it == la.ms.activities().end() || it->second.attempt() != token->attempt() ||
      !it->second.started()) {
    return StaleActivity("this attempt is no longer current");
  }
  return la;
}

absl::StatusOr<api::v1::RecordActivityTaskHeartbeatResponse>
HistoryEngine::RecordActivityTaskHeartbeat(const NamespaceRef& ns,
                                           const api::v1::RecordActivityTaskHeartbeatRequest& req) {
  auto la = LockActivity(ns, req.task_token());
  if (!la.ok()) return la.status();
  internal::MutableState& ms = la->ms;
  internal::ActivityInfo& ai = la->ai();
  Transition tr(*la->locked.shard, ms, clock_->Now());
  *ai.mutable_last_heartbeat_time() = ToProto(tr.now());
  if (req.has_details()) *ai.mutable_heartbeat_details() = req.details();
  api::v1::RecordActivityTaskHeartbeatResponse resp;
  resp.set_cancel_requested(ai.cancel_requested());
  // Heartbeats are progress hints; a lost one costs at most a retry that starts earlier.
  if (auto s = CommitAndInstall(la->locked, tr, /*sync=*/false); !s.ok()) return s;
  return resp;
}

absl::Status HistoryEngine::RespondActivityTaskCompleted(
    const NamespaceRef& ns, const api::v1::RespondActivityTaskCompletedRequest& req) {
  auto la = LockActivity(ns, req.task_token());
  if (!la.ok()) return la.status();
  internal::MutableState& ms = la->ms;
  internal::ActivityInfo& ai = la->ai();
  Transition tr(*la->locked.shard, ms, clock_->Now());
  int64_t scheduled = ai.scheduled_event_id();
  int64_t started_id = AppendActivityStarted(tr, ai);
  ReportToBreaker(tr, ai, AttemptOutcome::kSuccess);
  auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
  auto* ea = e->mutable_activity_task_completed_event_attributes();
  *ea->mutable_result() = req.result();
  ea->set_scheduled_event_id(scheduled);
  ea->set_started_event_id(started_id);
  ea->set_identity(req.identity());
  ms.mutable_activities()->erase(scheduled);
  ScheduleWorkflowTaskIfNeeded(tr);
  return CommitAndInstall(la->locked, tr);
}

absl::Status HistoryEngine::RespondActivityTaskFailed(
    const NamespaceRef& ns, const api::v1::RespondActivityTaskFailedRequest& req) {
  auto la = LockActivity(ns, req.task_token());
  if (!la.ok()) return la.status();
  internal::MutableState& ms = la->ms;
  internal::ActivityInfo& ai = la->ai();
  Transition tr(*la->locked.shard, ms, clock_->Now());
  api::v1::Failure failure = req.failure();
  if (failure.message().empty()) failure.set_message("activity failed (no message given)");
  FailActivityAttempt(tr, ai, failure, api::v1::TIMEOUT_TYPE_UNSPECIFIED, req.identity());
  return CommitAndInstall(la->locked, tr);
}

absl::Status HistoryEngine::RespondActivityTaskCanceled(
    const NamespaceRef& ns, const api::v1::RespondActivityTaskCanceledRequest& req) {
  auto la = LockActivity(ns, req.task_token());
  if (!la.ok()) return la.status();
  internal::MutableState& ms = la->ms;
  internal::ActivityInfo& ai = la->ai();
  Transition tr(*la->locked.shard, ms, clock_->Now());
  int64_t scheduled = ai.scheduled_event_id();
  int64_t started_id = AppendActivityStarted(tr, ai);
  int64_t cancel_requested_id = ai.cancel_requested_event_id();
  ReportToBreaker(tr, ai, AttemptOutcome::kNeutral);
  auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_ACTIVITY_TASK_CANCELED);
  auto* ea = e->mutable_activity_task_canceled_event_attributes();
  *ea->mutable_details() = req.details();
  ea->set_latest_cancel_requested_event_id(cancel_requested_id);
  ea->set_scheduled_event_id(scheduled);
  ea->set_started_event_id(started_id);
  ea->set_identity(req.identity());
  ms.mutable_activities()->erase(scheduled);
  ScheduleWorkflowTaskIfNeeded(tr);
  return CommitAndInstall(la->locked, tr);
}

}  // namespace weft::history
