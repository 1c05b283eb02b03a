#include "cli/workflow_trace.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "cli/duration.h"
#include "cli/event_summary.h"
#include "cli/names.h"
#include "cli/payload_json.h"
#include "telemetry/trace_context.h"

namespace weft::cli {
namespace {

using api::v1::HistoryEvent;

constexpr size_t kValueChars = 60;  // payloads shown in details are cut to this

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

bool IsSet(const google::protobuf::Timestamp& ts) { return ts.seconds() != 0 || ts.nanos() != 0; }

std::string FailureText(const api::v1::Failure& f) {
  if (f.message().empty() && f.type().empty()) return "";
  return FailureSummary(f);
}

// The lower-case outcome of a retry state or timeout, e.g. "MAXIMUM_ATTEMPTS_REACHED".
std::string RetryStateNote(api::v1::RetryState state) {
  if (state == api::v1::RETRY_STATE_UNSPECIFIED) return "";
  return absl::StrCat("retry state ", RetryStateName(state));
}

// The suffix of an enum value's name after `marker`, e.g. "WORKFLOW_ALREADY_EXISTS".
std::string EnumSuffix(const std::string& name, absl::string_view marker) {
  size_t at = name.find(std::string(marker));
  return at == std::string::npos ? name : name.substr(at + marker.size());
}

// The retry policy's interval before attempt `next_attempt` (the server's formula, with the
// same defaults: initial 1s, coefficient 2, maximum 100 x initial).
int64_t PolicyBackoffMs(const api::v1::RetryPolicy& policy, int next_attempt) {
  double initial = absl::ToDoubleSeconds(FromProtoDuration(policy.initial_interval()));
  if (initial <= 0) initial = 1;
  double coefficient = policy.backoff_coefficient() < 1.0 ? 2.0 : policy.backoff_coefficient();
  double max = absl::ToDoubleSeconds(FromProtoDuration(policy.maximum_interval()));
  if (max <= 0) max = initial * 100;
  double secs = initial * std::pow(coefficient, std::max(0, next_attempt - 2));
  if (!std::isfinite(secs) || secs > max) secs = max;
  return static_cast<int64_t>(std::llround(secs * 1000));
}

// Folds the events into steps. Each step is opened by its first event and found again by
// the id its later events name (scheduled, started or initiated event id).
class TraceBuilder {
 public:
  TraceBuilder(const api::v1::DescribeWorkflowExecutionResponse& describe,
               const api::v1::History& history, absl::Time now)
      : describe_(describe), history_(history), now_(now) {}

  WorkflowTrace Build() {
    const api::v1::WorkflowExecutionInfo& info = describe_.workflow_execution_info();
    trace_.workflow_id = info.execution().workflow_id();
    trace_.run_id = info.execution().run_id();
    trace_.workflow_type = info.type().name();
    trace_.status = info.status();
    trace_.task_queue = info.task_queue();
    trace_.continued_from_run_id = info.continued_from_run_id();
    if (!info.parent_execution().workflow_id().empty()) {
      trace_.parent =
          absl::StrCat(info.parent_namespace(), "/", info.parent_execution().workflow_id(), "/",
                       info.parent_execution().run_id());
    }
    google::protobuf::Timestamp start_ts = info.start_time();
    for (const HistoryEvent& e : history_.events()) {
      if (e.event_type() == api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
        start_ts = e.event_time();
        break;
      }
    }
    start_ = ToTime(start_ts);
    trace_.start_time = FormatTimestamp(start_ts);

    for (const HistoryEvent& e : history_.events()) Apply(e);

    const bool running = trace_.status == api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING;
    if (!close_offset_.has_value() && IsSet(info.close_time())) {
      close_offset_ = Offset(info.close_time());
      trace_.close_time = FormatTimestamp(info.close_time());
    }
    const int64_t end = close_offset_.value_or(Offset(now_));
    trace_.duration_ms = end;
    FinishOpenSteps(end, running);
    if (running) AddPending();
    AddTotals();
    // Last: open_ and the step indexes above stop matching once the steps move.
    std::stable_sort(trace_.steps.begin(), trace_.steps.end(),
                     [](const TraceStep& a, const TraceStep& b) {
                       if (a.kind == "close" || b.kind == "close") {
                         return a.kind != "close" && b.kind == "close";
                       }
                       if (a.start_offset_ms != b.start_offset_ms) {
                         return a.start_offset_ms < b.start_offset_ms;
                       }
                       return FirstEvent(a) < FirstEvent(b);
                     });
    return std::move(trace_);
  }

 private:
  // Per-step state the output does not show.
  struct Open {
    std::optional<int64_t> started_ms;  // when a phase boundary ("started") was seen
    bool closed = false;
    api::v1::RetryPolicy retry_policy;  // activities
  };

  static int64_t FirstEvent(const TraceStep& s) {
    return s.event_ids.empty() ? 0 : s.event_ids.front();
  }

  int64_t Offset(const google::protobuf::Timestamp& ts) const { return Offset(ToTime(ts)); }
  int64_t Offset(absl::Time t) const {
    // Floor, so that the offsets of events in order never decrease.
    return absl::ToInt64Milliseconds(absl::Floor(t - start_, absl::Milliseconds(1)));
  }

  size_t NewStep(const HistoryEvent& e, std::string kind, std::string name = "",
                 std::string id = "") {
    TraceStep s;
    s.kind = std::move(kind);
    s.name = std::move(name);
    s.id = std::move(id);
    s.start_offset_ms = Offset(e.event_time());
    s.event_ids.push_back(e.event_id());
    trace_.steps.push_back(std::move(s));
    open_.emplace_back();
    return trace_.steps.size() - 1;
  }

  // An instant step: it happened at one event, duration 0.
  TraceStep& Instant(const HistoryEvent& e, std::string kind, std::string name = "",
                     std::string id = "", std::string outcome = "") {
    size_t i = NewStep(e, std::move(kind), std::move(name), std::move(id));
    open_[i].closed = true;
    trace_.steps[i].outcome = std::move(outcome);
    return trace_.steps[i];
  }

  // The step `by_id` maps `id` to; a step of its own (from this event) if the history does
  // not hold the opening event (so that nothing is silently dropped).
  size_t Find(std::map<int64_t, size_t>& by_id, int64_t id, const HistoryEvent& e,
              const std::string& kind) {
    auto it = by_id.find(id);
    if (it != by_id.end()) {
      trace_.steps[it->second].event_ids.push_back(e.event_id());
      return it->second;
    }
    size_t i = NewStep(e, kind);
    by_id[id] = i;
    return i;
  }

  void MarkStarted(size_t i, const HistoryEvent& e) {
    open_[i].started_ms = Offset(e.event_time());
  }

  // Closes step `i` at event `e`: its duration and phases.
  void Close(size_t i, const HistoryEvent& e, std::string outcome) {
    TraceStep& s = trace_.steps[i];
    Open& o = open_[i];
    o.closed = true;
    s.outcome = std::move(outcome);
    SetTimes(i, Offset(e.event_time()), o.started_ms);
  }

  // Duration and phases of step `i` ending at offset `end`, with the phase boundary at
  // `started` (if known).
  void SetTimes(size_t i, int64_t end, std::optional<int64_t> started) {
    TraceStep& s = trace_.steps[i];
    s.duration_ms = end - s.start_offset_ms;
    s.phases.clear();
    std::string first, second = "execution";
    if (s.kind == "workflow_task" || s.kind == "activity") {
      first = "schedule_to_start";
    } else if (s.kind == "child_workflow") {
      first = "start";
    } else {
      return;
    }
    if (started.has_value() && *started >= s.start_offset_ms && *started <= end) {
      s.phases.push_back({first, *started - s.start_offset_ms});
      s.phases.push_back({second, end - *started});
    } else {
      s.phases.push_back({first, s.duration_ms});
    }
  }

  void Apply(const HistoryEvent& e) {
    // By type, not by attributes: an event without attributes still counts.
    switch (e.event_type()) {
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const auto& a = e.workflow_execution_started_event_attributes();
        if (trace_.workflow_type.empty()) trace_.workflow_type = a.workflow_type().name();
        if (trace_.task_queue.empty()) trace_.task_queue = a.task_queue().name();
        if (trace_.continued_from_run_id.empty()) {
          trace_.continued_from_run_id = a.continued_execution_run_id();
        }
        if (auto tp = telemetry::TraceParent::Parse(e.trace_context().traceparent())) {
          trace_.trace_id = tp->TraceIdHex();
        }
        break;
      }
      // ---- workflow tasks ----
      case api::v1::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED: {
        size_t i = NewStep(e, "workflow_task");
        trace_.steps[i].attempt =
            std::max(1, e.workflow_task_scheduled_event_attributes().attempt());
        workflow_tasks_[e.event_id()] = i;
        last_workflow_task_ = i;
        break;
      }
      case api::v1::EVENT_TYPE_WORKFLOW_TASK_STARTED: {
        const auto& a = e.workflow_task_started_event_attributes();
        size_t i = Find(workflow_tasks_, a.scheduled_event_id(), e, "workflow_task");
        MarkStarted(i, e);
        trace_.steps[i].identity = a.identity();
        break;
      }
      case api::v1::EVENT_TYPE_WORKFLOW_TASK_COMPLETED: {
        const auto& a = e.workflow_task_completed_event_attributes();
        size_t i = Find(workflow_tasks_, a.scheduled_event_id(), e, "workflow_task");
        if (!a.identity().empty()) trace_.steps[i].identity = a.identity();
        Close(i, e, "completed");
        break;
      }
      case api::v1::EVENT_TYPE_WORKFLOW_TASK_FAILED: {
        const auto& a = e.workflow_task_failed_event_attributes();
        size_t i = Find(workflow_tasks_, a.scheduled_event_id(), e, "workflow_task");
        TraceStep& s = trace_.steps[i];
        if (!a.identity().empty()) s.identity = a.identity();
        s.detail = absl::StrCat("cause ", WorkflowTaskFailedCauseName(a.cause()));
        if (!a.new_run_id().empty()) absl::StrAppend(&s.detail, ", new run ", a.new_run_id());
        s.failure = FailureText(a.failure());
        Close(i, e, "failed");
        last_workflow_task_ = i;
        break;
      }
      case api::v1::EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: {
        const auto& a = e.workflow_task_timed_out_event_attributes();
        size_t i = Find(workflow_tasks_, a.scheduled_event_id(), e, "workflow_task");
        trace_.steps[i].detail = absl::StrCat("timeout ", TimeoutTypeName(a.timeout_type()));
        Close(i, e, "timed_out");
        last_workflow_task_ = i;
        break;
      }
      // ---- activities ----
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const auto& a = e.activity_task_scheduled_event_attributes();
        size_t i = NewStep(e, "activity", a.activity_type().name(), a.activity_id());
        trace_.steps[i].attempt = 1;
        open_[i].retry_policy = a.retry_policy();
        activities_[e.event_id()] = i;
        break;
      }
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const auto& a = e.activity_task_started_event_attributes();
        size_t i = Find(activities_, a.scheduled_event_id(), e, "activity");
        TraceStep& s = trace_.steps[i];
        MarkStarted(i, e);
        s.attempt = std::max(1, a.attempt());
        s.identity = a.identity();
        if (s.attempt > 1) s.last_failure = FailureText(a.last_failure());
        break;
      }
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const auto& a = e.activity_task_completed_event_attributes();
        size_t i = Find(activities_, a.scheduled_event_id(), e, "activity");
        if (!a.identity().empty()) trace_.steps[i].identity = a.identity();
        Close(i, e, "completed");
        break;
      }
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_FAILED: {
        const auto& a = e.activity_task_failed_event_attributes();
        size_t i = Find(activities_, a.scheduled_event_id(), e, "activity");
        TraceStep& s = trace_.steps[i];
        if (!a.identity().empty()) s.identity = a.identity();
        s.failure = FailureText(a.failure());
        s.detail = RetryStateNote(a.retry_state());
        Close(i, e, "failed");
        break;
      }
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const auto& a = e.activity_task_timed_out_event_attributes();
        size_t i = Find(activities_, a.scheduled_event_id(), e, "activity");
        TraceStep& s = trace_.steps[i];
        s.failure = FailureText(a.failure());
        s.detail = absl::StrCat("timeout ", TimeoutTypeName(a.timeout_type()));
        if (a.retry_state() != api::v1::RETRY_STATE_UNSPECIFIED) {
          absl::StrAppend(&s.detail, ", ", RetryStateNote(a.retry_state()));
        }
        Close(i, e, "timed_out");
        break;
      }
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED: {
        const auto& a = e.activity_task_cancel_requested_event_attributes();
        size_t i = Find(activities_, a.scheduled_event_id(), e, "activity");
        trace_.steps[i].detail =
            absl::StrCat("cancel requested at +", FormatTraceMillis(Offset(e.event_time())));
        break;
      }
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
        const auto& a = e.activity_task_canceled_event_attributes();
        size_t i = Find(activities_, a.scheduled_event_id(), e, "activity");
        if (!a.identity().empty()) trace_.steps[i].identity = a.identity();
        Close(i, e, "canceled");
        break;
      }
      // ---- timers ----
      case api::v1::EVENT_TYPE_TIMER_STARTED: {
        const auto& a = e.timer_started_event_attributes();
        size_t i = NewStep(e, "timer", "", a.timer_id());
        trace_.steps[i].requested_ms =
            absl::ToInt64Milliseconds(FromProtoDuration(a.start_to_fire_timeout()));
        timers_[e.event_id()] = i;
        break;
      }
      case api::v1::EVENT_TYPE_TIMER_FIRED: {
        const auto& a = e.timer_fired_event_attributes();
        Close(Find(timers_, a.started_event_id(), e, "timer"), e, "fired");
        break;
      }
      case api::v1::EVENT_TYPE_TIMER_CANCELED: {
        const auto& a = e.timer_canceled_event_attributes();
        size_t i = Find(timers_, a.started_event_id(), e, "timer");
        if (!a.identity().empty()) trace_.steps[i].identity = a.identity();
        Close(i, e, "canceled");
        break;
      }
      // ---- children ----
      case api::v1::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: {
        const auto& a = e.start_child_workflow_execution_initiated_event_attributes();
        size_t i = NewStep(e, "child_workflow", a.workflow_type().name(), a.workflow_id());
        children_[e.event_id()] = i;
        break;
      }
      case api::v1::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED: {
        const auto& a = e.start_child_workflow_execution_failed_event_attributes();
        size_t i = Find(children_, a.initiated_event_id(), e, "child_workflow");
        trace_.steps[i].detail = absl::StrCat(
            "cause ", EnumSuffix(api::v1::StartChildWorkflowExecutionFailedCause_Name(a.cause()),
                                 "FAILED_CAUSE_"));
        Close(i, e, "start_failed");
        break;
      }
      case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: {
        const auto& a = e.child_workflow_execution_started_event_attributes();
        size_t i = Find(children_, a.initiated_event_id(), e, "child_workflow");
        MarkStarted(i, e);
        trace_.steps[i].run_id = a.workflow_execution().run_id();
        break;
      }
      case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
        Close(Find(children_,
                   e.child_workflow_execution_completed_event_attributes().initiated_event_id(), e,
                   "child_workflow"),
              e, "completed");
        break;
      case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: {
        const auto& a = e.child_workflow_execution_failed_event_attributes();
        size_t i = Find(children_, a.initiated_event_id(), e, "child_workflow");
        trace_.steps[i].failure = FailureText(a.failure());
        Close(i, e, "failed");
        break;
      }
      case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
        Close(Find(children_,
                   e.child_workflow_execution_canceled_event_attributes().initiated_event_id(), e,
                   "child_workflow"),
              e, "canceled");
        break;
      case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
        Close(Find(children_,
                   e.child_workflow_execution_timed_out_event_attributes().initiated_event_id(), e,
                   "child_workflow"),
              e, "timed_out");
        break;
      case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
        Close(Find(children_,
                   e.child_workflow_execution_terminated_event_attributes().initiated_event_id(), e,
                   "child_workflow"),
              e, "terminated");
        break;
      // ---- other workflows ----
      case api::v1::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: {
        const auto& a = e.signal_external_workflow_execution_initiated_event_attributes();
        external_signals_[e.event_id()] =
            NewStep(e, "signal_external", a.signal_name(), a.workflow_execution().workflow_id());
        break;
      }
      case api::v1::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
        Close(Find(external_signals_,
                   e.external_workflow_execution_signaled_event_attributes().initiated_event_id(),
                   e, "signal_external"),
              e, "delivered");
        break;
      case api::v1::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: {
        const auto& a = e.signal_external_workflow_execution_failed_event_attributes();
        size_t i = Find(external_signals_, a.initiated_event_id(), e, "signal_external");
        trace_.steps[i].detail = absl::StrCat(
            "cause ",
            EnumSuffix(api::v1::SignalExternalWorkflowExecutionFailedCause_Name(a.cause()),
                       "FAILED_CAUSE_"));
        Close(i, e, "failed");
        break;
      }
      case api::v1::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: {
        const auto& a = e.request_cancel_external_workflow_execution_initiated_event_attributes();
        size_t i = NewStep(e, "cancel_external", "", a.workflow_execution().workflow_id());
        if (!a.reason().empty()) trace_.steps[i].detail = absl::StrCat("reason ", a.reason());
        external_cancels_[e.event_id()] = i;
        break;
      }
      case api::v1::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        Close(Find(external_cancels_,
                   e.external_workflow_execution_cancel_requested_event_attributes()
                       .initiated_event_id(),
                   e, "cancel_external"),
              e, "delivered");
        break;
      case api::v1::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: {
        const auto& a = e.request_cancel_external_workflow_execution_failed_event_attributes();
        size_t i = Find(external_cancels_, a.initiated_event_id(), e, "cancel_external");
        trace_.steps[i].detail = absl::StrCat(
            "cause ",
            EnumSuffix(api::v1::CancelExternalWorkflowExecutionFailedCause_Name(a.cause()),
                       "FAILED_CAUSE_"));
        Close(i, e, "failed");
        break;
      }
      // ---- instants ----
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const auto& a = e.workflow_execution_signaled_event_attributes();
        TraceStep& s = Instant(e, "signal", a.signal_name(), "", "received");
        s.identity = a.identity();
        if (!a.external_workflow_execution().workflow_id().empty()) {
          s.detail = absl::StrCat("from workflow ", a.external_workflow_execution().workflow_id());
        }
        break;
      }
      case api::v1::EVENT_TYPE_MARKER_RECORDED: {
        const auto& a = e.marker_recorded_event_attributes();
        TraceStep& s = Instant(e, "marker", a.marker_name(), "", "recorded");
        // Versions and mutable side effects are known by their id; the rest by their details.
        std::map<std::string, std::string> details;  // sorted for stable output
        for (const auto& [key, payloads] : a.details()) {
          details[key] = Abbreviate(PayloadsToJson(payloads), kValueChars);
        }
        for (const char* key : {"change_id", "id"}) {
          auto it = details.find(key);
          if (it == details.end()) continue;
          s.id = it->second;
          if (s.id.size() >= 2 && s.id.front() == '"' && s.id.back() == '"') {
            s.id = s.id.substr(1, s.id.size() - 2);
          }
          details.erase(it);
          break;
        }
        std::vector<std::string> parts;
        for (const auto& [key, value] : details) parts.push_back(absl::StrCat(key, "=", value));
        s.detail = absl::StrJoin(parts, " ");
        s.failure = FailureText(a.failure());
        break;
      }
      case api::v1::EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const auto& fields = e.upsert_workflow_search_attributes_event_attributes()
                                 .search_attributes()
                                 .indexed_fields();
        std::map<std::string, std::string> sorted;
        for (const auto& [key, payload] : fields) {
          sorted[key] = Abbreviate(PayloadToJson(payload), kValueChars);
        }
        std::vector<std::string> names, parts;
        for (const auto& [key, value] : sorted) {
          names.push_back(key);
          parts.push_back(absl::StrCat(key, "=", value));
        }
        Instant(e, "search_attributes", absl::StrJoin(names, ","), "", "recorded").detail =
            absl::StrJoin(parts, " ");
        break;
      }
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED: {
        const auto& a = e.workflow_execution_cancel_requested_event_attributes();
        TraceStep& s = Instant(e, "cancel_request", "", "", "received");
        s.identity = a.identity();
        if (!a.cause().empty()) s.detail = absl::StrCat("cause ", a.cause());
        break;
      }
      // ---- the close ----
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        CloseRun(e, "completed").detail = absl::StrCat(
            "result ",
            Abbreviate(PayloadsToJson(e.workflow_execution_completed_event_attributes().result()),
                       kValueChars));
        break;
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: {
        const auto& a = e.workflow_execution_failed_event_attributes();
        TraceStep& s = CloseRun(e, "failed");
        s.failure = FailureText(a.failure());
        s.detail = RetryStateNote(a.retry_state());
        break;
      }
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
        CloseRun(e, "timed_out").detail =
            RetryStateNote(e.workflow_execution_timed_out_event_attributes().retry_state());
        break;
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
        CloseRun(e, "canceled");
        break;
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: {
        const auto& a = e.workflow_execution_terminated_event_attributes();
        TraceStep& s = CloseRun(e, "terminated");
        s.identity = a.identity();
        if (!a.reason().empty()) s.detail = absl::StrCat("reason ", a.reason());
        break;
      }
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: {
        const auto& a = e.workflow_execution_continued_as_new_event_attributes();
        TraceStep& s = CloseRun(e, "continued_as_new");
        s.run_id = a.new_execution_run_id();
        s.detail = absl::StrCat("next run ", a.new_execution_run_id());
        break;
      }
      default:
        break;
    }
  }

  TraceStep& CloseRun(const HistoryEvent& e, std::string outcome) {
    close_offset_ = Offset(e.event_time());
    trace_.close_time = FormatTimestamp(e.event_time());
    return Instant(e, "close", "", "", std::move(outcome));
  }

  // The pending activity describe reports for `activity_id`, if any.
  const api::v1::PendingActivityInfo* PendingActivity(const std::string& activity_id) const {
    for (const auto& p : describe_.pending_activities()) {
      if (p.activity_id() == activity_id) return &p;
    }
    return nullptr;
  }

  void FinishOpenSteps(int64_t end, bool running) {
    for (size_t i = 0; i < trace_.steps.size(); ++i) {
      if (open_[i].closed) continue;
      TraceStep& s = trace_.steps[i];
      s.open = true;
      s.outcome = running ? "pending" : "unfinished";
      std::optional<int64_t> started = open_[i].started_ms;
      if (s.kind == "activity") {
        // The history has no event for a running attempt: describe knows it.
        if (const auto* p = PendingActivity(s.id)) {
          s.attempt = std::max(1, p->attempt());
          s.last_failure = FailureText(p->last_failure());
          s.identity = p->last_worker_identity();
          if (p->state() == "STARTED" && IsSet(p->last_started_time())) {
            started = Offset(p->last_started_time());
          }
        }
      }
      SetTimes(i, std::max(end, s.start_offset_ms), started);
    }
  }

  void AddPending() {
    const int64_t now = Offset(now_);
    // The workflow task: the last one still open, or a retry waiting out its backoff.
    if (last_workflow_task_.has_value()) {
      const size_t i = *last_workflow_task_;
      const TraceStep& s = trace_.steps[i];
      TracePendingItem p;
      p.kind = "workflow_task";
      if (!open_[i].closed) {
        p.attempt = s.attempt;
        p.state = open_[i].started_ms.has_value() ? "started" : "scheduled";
        p.age_ms = now - open_[i].started_ms.value_or(s.start_offset_ms);
        p.identity = open_[i].started_ms.has_value() ? s.identity : "";
        trace_.pending.push_back(std::move(p));
      } else if (s.outcome == "failed" || s.outcome == "timed_out") {
        p.attempt = s.attempt + 1;
        p.state = "backoff";
        p.age_ms = now - (s.start_offset_ms + s.duration_ms);
        p.last_failure = s.failure.empty() ? s.detail : s.failure;
        trace_.pending.push_back(std::move(p));
      }
    }
    for (const api::v1::PendingActivityInfo& a : describe_.pending_activities()) {
      TracePendingItem p;
      p.kind = "activity";
      p.name = a.activity_type().name();
      p.id = a.activity_id();
      p.state = a.state();
      p.attempt = a.attempt();
      p.maximum_attempts = a.maximum_attempts();
      if (a.state() == "STARTED" && IsSet(a.last_started_time())) {
        p.age_ms = now - Offset(a.last_started_time());
      } else if (a.state() != "BACKOFF" && IsSet(a.scheduled_time())) {
        p.age_ms = now - Offset(a.scheduled_time());
      }
      if (a.state() == "BACKOFF") {
        for (size_t i = 0; i < trace_.steps.size(); ++i) {
          if (trace_.steps[i].kind == "activity" && trace_.steps[i].id == a.activity_id() &&
              !open_[i].closed) {
            p.backoff_ms = PolicyBackoffMs(open_[i].retry_policy, a.attempt());
          }
        }
      }
      p.last_failure = FailureText(a.last_failure());
      p.identity = a.last_worker_identity();
      if (IsSet(a.last_heartbeat_time())) {
        p.last_heartbeat_time = FormatTimestamp(a.last_heartbeat_time());
      }
      trace_.pending.push_back(std::move(p));
    }
    for (const api::v1::PendingTimerInfo& t : describe_.pending_timers()) {
      TracePendingItem p;
      p.kind = "timer";
      p.id = t.timer_id();
      p.state = "waiting";
      p.due_time = FormatTimestamp(t.fire_time());
      p.due_in_ms = Offset(t.fire_time()) - now;
      for (const TraceStep& s : trace_.steps) {
        if (s.kind == "timer" && s.id == t.timer_id() && s.open) p.age_ms = now - s.start_offset_ms;
      }
      trace_.pending.push_back(std::move(p));
    }
    for (const api::v1::PendingChildExecutionInfo& c : describe_.pending_children()) {
      TracePendingItem p;
      p.kind = "child_workflow";
      p.name = c.workflow_type_name();
      p.id = c.workflow_id();
      p.run_id = c.run_id();
      p.state = c.run_id().empty() ? "initiated" : "started";
      for (size_t i = 0; i < trace_.steps.size(); ++i) {
        const TraceStep& s = trace_.steps[i];
        if (s.kind == "child_workflow" && s.id == c.workflow_id() && s.open) {
          p.age_ms = now - open_[i].started_ms.value_or(s.start_offset_ms);
        }
      }
      trace_.pending.push_back(std::move(p));
    }
  }

  void AddTotals() {
    TraceTotals& t = trace_.totals;
    for (const TraceStep& s : trace_.steps) {
      auto phase = [&s](absl::string_view name) -> int64_t {
        for (const TracePhase& p : s.phases) {
          if (p.name == name) return p.ms;
        }
        return 0;
      };
      if (s.kind == "workflow_task") {
        ++t.workflow_tasks;
        t.workflow_task_ms += phase("execution");
        t.queue_wait_ms += phase("schedule_to_start");
      } else if (s.kind == "activity") {
        ++t.activities;
        t.activity_execution_ms += phase("execution");
        (s.attempt > 1 ? t.retry_wait_ms : t.queue_wait_ms) += phase("schedule_to_start");
      } else if (s.kind == "timer") {
        ++t.timers;
        t.timer_ms += s.duration_ms;
      } else if (s.kind == "child_workflow") {
        ++t.child_workflows;
        t.child_workflow_ms += s.duration_ms;
      }
    }
  }

  const api::v1::DescribeWorkflowExecutionResponse& describe_;
  const api::v1::History& history_;
  const absl::Time now_;
  absl::Time start_;
  WorkflowTrace trace_;
  std::vector<Open> open_;  // parallel to trace_.steps until they are sorted
  std::map<int64_t, size_t> workflow_tasks_, activities_, timers_, children_, external_signals_,
      external_cancels_;
  std::optional<size_t> last_workflow_task_;
  std::optional<int64_t> close_offset_;
};

// ---- text ----

std::string StepLabel(const TraceStep& s) {
  if (s.kind == "workflow_task") return "workflow task";
  if (s.kind == "activity") return absl::StrCat("activity ", s.name, " (id ", s.id, ")");
  if (s.kind == "timer") return absl::StrCat("timer ", s.id);
  if (s.kind == "child_workflow") return absl::StrCat("child ", s.name, " (", s.id, ")");
  if (s.kind == "signal_external") return absl::StrCat("signal ", s.name, " to ", s.id);
  if (s.kind == "cancel_external") return absl::StrCat("cancel request to ", s.id);
  if (s.kind == "signal") return absl::StrCat("signal ", s.name);
  if (s.kind == "marker") {
    return s.id.empty() ? absl::StrCat("marker ", s.name)
                        : absl::StrCat("marker ", s.name, " ", s.id);
  }
  if (s.kind == "search_attributes") return "search attributes";
  if (s.kind == "cancel_request") return "cancel requested";
  if (s.kind == "close") return "close";
  return s.kind;
}

bool IsInstant(const TraceStep& s) {
  return s.kind == "signal" || s.kind == "marker" || s.kind == "search_attributes" ||
         s.kind == "cancel_request" || s.kind == "close";
}

std::string PhaseLabel(const TraceStep& s, const TracePhase& p) {
  if (s.kind == "workflow_task") return p.name == "schedule_to_start" ? "queue" : "worker";
  if (p.name == "schedule_to_start") return "schedule-to-start";
  return p.name;
}

// The DETAILS column of a step: attempt, phases, the kind's note, the worker.
std::string StepDetails(const TraceStep& s) {
  std::vector<std::string> parts;
  if (s.attempt > 1 || s.kind == "activity") parts.push_back(absl::StrCat("attempt ", s.attempt));
  if (!s.phases.empty()) {
    std::vector<std::string> phases;
    for (const TracePhase& p : s.phases) {
      phases.push_back(absl::StrCat(PhaseLabel(s, p), " ", FormatTraceMillis(p.ms)));
    }
    std::string text = absl::StrJoin(phases, " + ");
    if (s.kind == "activity" && s.attempt > 1) {
      absl::StrAppend(&text, " (the wait includes ", s.attempt - 1, " earlier attempt",
                      s.attempt > 2 ? "s" : "", " and backoff)");
    }
    parts.push_back(std::move(text));
  }
  if (s.requested_ms.has_value()) {
    parts.push_back(absl::StrCat("requested ", FormatTraceMillis(*s.requested_ms)));
  }
  if (!s.detail.empty()) parts.push_back(s.detail);
  if (!s.identity.empty()) parts.push_back(absl::StrCat("by ", s.identity));
  return absl::StrJoin(parts, "; ");
}

std::string KeyValueBlock(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& [key, value] : rows) width = std::max(width, key.size());
  std::string out;
  for (const auto& [key, value] : rows) {
    absl::StrAppend(&out, absl::StrFormat("%-*s  ", static_cast<int>(width + 1), key + ":"),
                    value.empty() ? "-" : value, "\n");
  }
  return out;
}

std::string PendingLine(const TracePendingItem& p) {
  std::string what;
  std::vector<std::string> parts;
  if (p.kind == "workflow_task") {
    what = "workflow task";
    if (p.state == "scheduled") {
      parts.push_back(absl::StrCat("waiting for a worker for ", FormatTraceMillis(*p.age_ms)));
    } else if (p.state == "started") {
      parts.push_back(absl::StrCat("running for ", FormatTraceMillis(*p.age_ms)));
    } else {
      parts.push_back(absl::StrCat("retry in backoff after the last failure ",
                                   FormatTraceMillis(*p.age_ms), " ago"));
    }
    parts.push_back(absl::StrCat("attempt ", p.attempt));
  } else if (p.kind == "activity") {
    what = absl::StrCat("activity ", p.name, " (id ", p.id, ")");
    parts.push_back(p.state);
    parts.push_back(absl::StrCat(
        "attempt ", p.attempt,
        p.maximum_attempts > 0 ? absl::StrCat(" of ", p.maximum_attempts) : std::string()));
    if (p.age_ms.has_value()) {
      parts.push_back(absl::StrCat(p.state == "STARTED" ? "running for " : "waiting for ",
                                   FormatTraceMillis(*p.age_ms)));
    }
    if (p.backoff_ms.has_value()) {
      parts.push_back(absl::StrCat("next attempt after a backoff of ",
                                   FormatTraceMillis(*p.backoff_ms), " (retry policy)"));
    }
    if (!p.last_heartbeat_time.empty()) {
      parts.push_back(absl::StrCat("last heartbeat ", p.last_heartbeat_time));
    }
  } else if (p.kind == "timer") {
    what = absl::StrCat("timer ", p.id);
    parts.push_back(absl::StrCat("due ", p.due_time));
    if (p.due_in_ms.has_value()) {
      parts.push_back(*p.due_in_ms >= 0
                          ? absl::StrCat("in ", FormatTraceMillis(*p.due_in_ms))
                          : absl::StrCat("overdue by ", FormatTraceMillis(-*p.due_in_ms)));
    }
  } else if (p.kind == "child_workflow") {
    what = absl::StrCat("child ", p.name, " (", p.id, ")");
    parts.push_back(p.state);
    if (!p.run_id.empty()) parts.push_back(absl::StrCat("run ", p.run_id));
    if (p.age_ms.has_value()) parts.push_back(absl::StrCat("for ", FormatTraceMillis(*p.age_ms)));
  } else {
    what = p.kind;
  }
  if (!p.identity.empty()) parts.push_back(absl::StrCat("by ", p.identity));
  std::string out = absl::StrCat("  ", what, "  ", absl::StrJoin(parts, ", "), "\n");
  if (!p.last_failure.empty()) absl::StrAppend(&out, "      last failure: ", p.last_failure, "\n");
  return out;
}

// ---- json ----

using Json = nlohmann::ordered_json;

Json StepJson(const TraceStep& s) {
  Json j = {{"kind", s.kind},
            {"name", s.name},
            {"id", s.id},
            {"start_offset_ms", s.start_offset_ms},
            {"duration_ms", s.duration_ms}};
  if (!s.phases.empty()) {
    Json phases = Json::object();
    for (const TracePhase& p : s.phases) phases[p.name + "_ms"] = p.ms;
    j["phases"] = std::move(phases);
  }
  if (s.attempt > 0) j["attempt"] = s.attempt;
  j["outcome"] = s.outcome;
  if (!s.identity.empty()) j["identity"] = s.identity;
  if (!s.failure.empty()) j["failure"] = s.failure;
  if (!s.last_failure.empty()) j["last_failure"] = s.last_failure;
  if (!s.detail.empty()) j["detail"] = s.detail;
  if (s.requested_ms.has_value()) j["requested_ms"] = *s.requested_ms;
  if (!s.run_id.empty()) j[s.kind == "close" ? "next_run_id" : "run_id"] = s.run_id;
  j["event_ids"] = s.event_ids;
  return j;
}

Json PendingJson(const TracePendingItem& p) {
  Json j = {{"kind", p.kind}, {"state", p.state}};
  if (!p.name.empty()) j["name"] = p.name;
  if (!p.id.empty()) j["id"] = p.id;
  if (p.attempt > 0) j["attempt"] = p.attempt;
  if (p.kind == "activity") j["maximum_attempts"] = p.maximum_attempts;
  if (p.age_ms.has_value()) j["age_ms"] = *p.age_ms;
  if (!p.due_time.empty()) j["due_time"] = p.due_time;
  if (p.due_in_ms.has_value()) j["due_in_ms"] = *p.due_in_ms;
  if (p.backoff_ms.has_value()) j["backoff_ms"] = *p.backoff_ms;
  if (!p.last_failure.empty()) j["last_failure"] = p.last_failure;
  if (!p.identity.empty()) j["identity"] = p.identity;
  if (!p.last_heartbeat_time.empty()) j["last_heartbeat_time"] = p.last_heartbeat_time;
  if (!p.run_id.empty()) j["run_id"] = p.run_id;
  return j;
}

Json NullIfEmpty(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

}  // namespace

WorkflowTrace BuildWorkflowTrace(const api::v1::DescribeWorkflowExecutionResponse& describe,
                                 const api::v1::History& history, absl::Time now) {
  return TraceBuilder(describe, history, now).Build();
}

std::string FormatTraceMillis(int64_t ms) {
  const char* sign = ms < 0 ? "-" : "";
  uint64_t v = ms < 0 ? -static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  const uint64_t millis = v % 1000, secs = v / 1000 % 60, mins = v / 60000 % 60,
                 hours = v / 3600000;
  if (hours > 0) {
    return absl::StrFormat("%s%dh%02dm%02d.%03ds", sign, hours, mins, secs, millis);
  }
  if (mins > 0) return absl::StrFormat("%s%dm%02d.%03ds", sign, mins, secs, millis);
  return absl::StrFormat("%s%d.%03ds", sign, secs, millis);
}

std::string FormatTraceText(const WorkflowTrace& t) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"Workflow ID", t.workflow_id},
      {"Run ID", t.run_id},
      {"Type", t.workflow_type},
      {"Task queue", t.task_queue},
      {"Status", StatusDisplayName(t.status)},
      {"Start time", t.start_time},
      {"Close time", t.close_time},
      {"Duration",
       absl::StrCat(FormatTraceMillis(t.duration_ms), t.close_time.empty() ? " so far" : "")},
      {"Trace ID", t.trace_id},
  };
  if (!t.continued_from_run_id.empty())
    rows.emplace_back("Continued from", t.continued_from_run_id);
  if (!t.parent.empty()) rows.emplace_back("Parent", t.parent);
  std::string out = KeyValueBlock(rows);

  // Columns: OFFSET and DURATION right-aligned, STEP and OUTCOME padded, DETAILS last.
  struct Line {
    std::string offset, duration, step, outcome, details;
  };
  std::vector<Line> lines = {{"OFFSET", "DURATION", "STEP", "OUTCOME", "DETAILS"}};
  for (const TraceStep& s : t.steps) {
    lines.push_back({absl::StrCat("+", FormatTraceMillis(s.start_offset_ms)),
                     IsInstant(s) ? "-" : FormatTraceMillis(s.duration_ms), StepLabel(s), s.outcome,
                     StepDetails(s)});
  }
  size_t w[4] = {0, 0, 0, 0};
  for (const Line& l : lines) {
    w[0] = std::max(w[0], l.offset.size());
    w[1] = std::max(w[1], l.duration.size());
    w[2] = std::max(w[2], l.step.size());
    w[3] = std::max(w[3], l.outcome.size());
  }
  absl::StrAppend(&out, "\n");
  for (size_t i = 0; i < lines.size(); ++i) {
    const Line& l = lines[i];
    std::string line = absl::StrFormat("%*s  %*s  %-*s  %-*s  %s", static_cast<int>(w[0]), l.offset,
                                       static_cast<int>(w[1]), l.duration, static_cast<int>(w[2]),
                                       l.step, static_cast<int>(w[3]), l.outcome, l.details);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
    if (i == 0) continue;
    const TraceStep& s = t.steps[i - 1];
    const std::string indent(w[0] + w[1] + 4 + 2, ' ');
    if (!s.failure.empty()) absl::StrAppend(&out, indent, "failure: ", s.failure, "\n");
    if (!s.last_failure.empty()) {
      absl::StrAppend(&out, indent, "last failure (attempt ", s.attempt - 1, "): ", s.last_failure,
                      "\n");
    }
  }

  if (!t.pending.empty()) {
    absl::StrAppend(&out, "\nPending:\n");
    for (const TracePendingItem& p : t.pending) absl::StrAppend(&out, PendingLine(p));
  }

  const TraceTotals& x = t.totals;
  auto count = [](int n, absl::string_view one, absl::string_view many) {
    return absl::StrCat("  (", n, " ", n == 1 ? one : many, ")");
  };
  std::vector<std::pair<std::string, std::string>> totals = {
      {"In workflow tasks", absl::StrCat(FormatTraceMillis(x.workflow_task_ms),
                                         count(x.workflow_tasks, "task", "tasks"))},
      {"In activity execution", absl::StrCat(FormatTraceMillis(x.activity_execution_ms),
                                             count(x.activities, "activity", "activities"))},
      {"Waiting on task queues", FormatTraceMillis(x.queue_wait_ms)},
      {"Waiting on activity retries", FormatTraceMillis(x.retry_wait_ms)},
      {"On timers",
       absl::StrCat(FormatTraceMillis(x.timer_ms), count(x.timers, "timer", "timers"))},
  };
  if (x.child_workflows > 0) {
    totals.emplace_back("In child workflows",
                        absl::StrCat(FormatTraceMillis(x.child_workflow_ms),
                                     count(x.child_workflows, "child", "children")));
  }
  absl::StrAppend(&out, "\nTotals (parallel steps each count in full):\n");
  std::string block = KeyValueBlock(totals);
  for (absl::string_view l : absl::StrSplit(block, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, "  ", l, "\n");
  }
  return out;
}

std::string FormatTraceJson(const WorkflowTrace& t) {
  Json steps = Json::array();
  for (const TraceStep& s : t.steps) steps.push_back(StepJson(s));
  Json pending = Json::array();
  for (const TracePendingItem& p : t.pending) pending.push_back(PendingJson(p));
  const TraceTotals& x = t.totals;
  Json totals = {{"workflow_task_ms", x.workflow_task_ms},
                 {"activity_execution_ms", x.activity_execution_ms},
                 {"queue_wait_ms", x.queue_wait_ms},
                 {"retry_wait_ms", x.retry_wait_ms},
                 {"timer_ms", x.timer_ms},
                 {"child_workflow_ms", x.child_workflow_ms},
                 {"workflow_tasks", x.workflow_tasks},
                 {"activities", x.activities},
                 {"timers", x.timers},
                 {"child_workflows", x.child_workflows}};
  Json j = {{"workflow_id", t.workflow_id},
            {"run_id", t.run_id},
            {"workflow_type", t.workflow_type},
            {"status", api::v1::WorkflowExecutionStatus_Name(t.status)},
            {"task_queue", t.task_queue},
            {"start_time", t.start_time},
            {"close_time", NullIfEmpty(t.close_time)},
            {"duration_ms", t.duration_ms},
            {"trace_id", NullIfEmpty(t.trace_id)},
            {"continued_from_run_id", NullIfEmpty(t.continued_from_run_id)},
            {"parent", NullIfEmpty(t.parent)},
            {"steps", std::move(steps)},
            {"pending", std::move(pending)},
            {"totals", std::move(totals)}};
  return j.dump();
}

}  // namespace weft::cli
