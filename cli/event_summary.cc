#include "cli/event_summary.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/duration.h"
#include "cli/names.h"
#include "cli/payload_json.h"

namespace weft::cli {
namespace {

using api::v1::HistoryEvent;

// A JSON-quoted string, so that spaces and quotes inside reasons stay readable.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  out += '"';
  return out;
}

// Collects key=value pairs, skipping empty values so that summaries stay short.
class Pairs {
 public:
  Pairs& Add(absl::string_view key, std::string value) {
    if (!value.empty()) parts_.push_back(absl::StrCat(key, "=", value));
    return *this;
  }
  Pairs& Add(absl::string_view key, int64_t value) {
    if (value != 0) parts_.push_back(absl::StrCat(key, "=", value));
    return *this;
  }
  Pairs& AddPayloads(absl::string_view key, const api::v1::Payloads& payloads) {
    if (payloads.payloads_size() > 0) Add(key, PayloadsSummary(payloads));
    return *this;
  }
  Pairs& AddFailure(const api::v1::Failure& failure) {
    if (!failure.message().empty() || !failure.type().empty()) {
      Add("failure", FailureSummary(failure));
    }
    return *this;
  }
  Pairs& AddRaw(std::string part) {
    parts_.push_back(std::move(part));
    return *this;
  }
  std::string Join() const { return absl::StrJoin(parts_, " "); }

 private:
  std::vector<std::string> parts_;
};

std::string RetryStateIfSet(api::v1::RetryState state) {
  return state == api::v1::RETRY_STATE_UNSPECIFIED ? "" : RetryStateName(state);
}

std::string TimeoutIfSet(api::v1::TimeoutType type) {
  return type == api::v1::TIMEOUT_TYPE_UNSPECIFIED ? "" : TimeoutTypeName(type);
}

// "wf-1/run-id", or just "wf-1" when the run is not known.
std::string ExecutionText(const api::v1::WorkflowExecution& e) {
  return e.run_id().empty() ? e.workflow_id() : absl::StrCat(e.workflow_id(), "/", e.run_id());
}

// The part of an enum value name after `marker`: "..._CAUSE_WORKFLOW_ALREADY_EXISTS" ->
// "WORKFLOW_ALREADY_EXISTS".
std::string EnumSuffix(const std::string& name, absl::string_view marker) {
  size_t at = name.find(std::string(marker));
  return at == std::string::npos ? name : name.substr(at + marker.size());
}

std::string ParentClosePolicyText(api::v1::ParentClosePolicy p) {
  return EnumSuffix(api::v1::ParentClosePolicy_Name(p), "POLICY_");
}

std::string DurationIfSet(const google::protobuf::Duration& d) {
  const absl::Duration duration = FromProtoDuration(d);
  return duration == absl::ZeroDuration() ? "" : DurationToText(duration);
}

}  // namespace

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "-";
  const absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::string FailureSummary(const api::v1::Failure& failure) {
  std::string out = Quote(failure.message());
  if (!failure.type().empty()) absl::StrAppend(&out, " type=", failure.type());
  if (failure.non_retryable()) absl::StrAppend(&out, " non_retryable");
  if (failure.has_cause()) absl::StrAppend(&out, "; cause: ", FailureSummary(failure.cause()));
  return out;
}

std::string EventSummary(const HistoryEvent& event) {
  Pairs p;
  switch (event.attributes_case()) {
    case HistoryEvent::kWorkflowExecutionStartedEventAttributes: {
      const auto& a = event.workflow_execution_started_event_attributes();
      p.Add("type", a.workflow_type().name())
          .Add("task_queue", a.task_queue().name())
          .AddPayloads("input", a.input())
          .Add("execution_timeout", DurationIfSet(a.workflow_execution_timeout()))
          .Add("run_timeout", DurationIfSet(a.workflow_run_timeout()))
          .Add("task_timeout", DurationIfSet(a.workflow_task_timeout()));
      if (a.attempt() > 1) p.Add("attempt", a.attempt());
      p.Add("continued_from", a.continued_execution_run_id());
      if (!a.parent_workflow_execution().workflow_id().empty()) {
        p.Add("parent", ExecutionText(a.parent_workflow_execution()));
      }
      break;
    }
    case HistoryEvent::kWorkflowExecutionContinuedAsNewEventAttributes: {
      const auto& a = event.workflow_execution_continued_as_new_event_attributes();
      p.Add("new_run_id", a.new_execution_run_id()).AddPayloads("input", a.input());
      break;
    }
    case HistoryEvent::kWorkflowExecutionCompletedEventAttributes:
      p.Add(
          "result",
          Abbreviate(PayloadsToJson(event.workflow_execution_completed_event_attributes().result()),
                     80));
      break;
    case HistoryEvent::kWorkflowExecutionFailedEventAttributes: {
      const auto& a = event.workflow_execution_failed_event_attributes();
      p.AddFailure(a.failure()).Add("retry_state", RetryStateIfSet(a.retry_state()));
      break;
    }
    case HistoryEvent::kWorkflowExecutionTimedOutEventAttributes:
      p.Add("retry_state",
            RetryStateIfSet(event.workflow_execution_timed_out_event_attributes().retry_state()));
      break;
    case HistoryEvent::kWorkflowExecutionCanceledEventAttributes:
      p.AddPayloads("details", event.workflow_execution_canceled_event_attributes().details());
      break;
    case HistoryEvent::kWorkflowExecutionTerminatedEventAttributes: {
      const auto& a = event.workflow_execution_terminated_event_attributes();
      p.Add("reason", a.reason().empty() ? "" : Quote(a.reason()))
          .AddPayloads("details", a.details())
          .Add("identity", a.identity());
      break;
    }
    case HistoryEvent::kWorkflowExecutionCancelRequestedEventAttributes: {
      const auto& a = event.workflow_execution_cancel_requested_event_attributes();
      p.Add("cause", a.cause().empty() ? "" : Quote(a.cause())).Add("identity", a.identity());
      if (!a.external_workflow_execution().workflow_id().empty()) {
        p.Add("by", ExecutionText(a.external_workflow_execution()));
      }
      break;
    }
    case HistoryEvent::kWorkflowExecutionSignaledEventAttributes: {
      const auto& a = event.workflow_execution_signaled_event_attributes();
      p.Add("name", a.signal_name()).AddPayloads("input", a.input()).Add("identity", a.identity());
      if (!a.external_workflow_execution().workflow_id().empty()) {
        p.Add("by", ExecutionText(a.external_workflow_execution()));
      }
      break;
    }
    case HistoryEvent::kWorkflowTaskScheduledEventAttributes: {
      const auto& a = event.workflow_task_scheduled_event_attributes();
      p.Add("task_queue", a.task_queue().name());
      if (a.attempt() > 1) p.Add("attempt", a.attempt());
      break;
    }
    case HistoryEvent::kWorkflowTaskStartedEventAttributes: {
      const auto& a = event.workflow_task_started_event_attributes();
      p.Add("scheduled", a.scheduled_event_id()).Add("identity", a.identity());
      break;
    }
    case HistoryEvent::kWorkflowTaskCompletedEventAttributes: {
      const auto& a = event.workflow_task_completed_event_attributes();
      p.Add("scheduled", a.scheduled_event_id())
          .Add("started", a.started_event_id())
          .Add("identity", a.identity());
      break;
    }
    case HistoryEvent::kWorkflowTaskTimedOutEventAttributes: {
      const auto& a = event.workflow_task_timed_out_event_attributes();
      p.Add("scheduled", a.scheduled_event_id())
          .Add("started", a.started_event_id())
          .Add("timeout", TimeoutIfSet(a.timeout_type()));
      break;
    }
    case HistoryEvent::kWorkflowTaskFailedEventAttributes: {
      const auto& a = event.workflow_task_failed_event_attributes();
      p.Add("scheduled", a.scheduled_event_id())
          .Add("started", a.started_event_id())
          .Add("cause", a.cause() == api::v1::WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED
                            ? ""
                            : WorkflowTaskFailedCauseName(a.cause()))
          .AddFailure(a.failure())
          .Add("identity", a.identity());
      break;
    }
    case HistoryEvent::kActivityTaskScheduledEventAttributes: {
      const auto& a = event.activity_task_scheduled_event_attributes();
      p.Add("activity_id", a.activity_id())
          .Add("type", a.activity_type().name())
          .Add("task_queue", a.task_queue().name())
          .AddPayloads("input", a.input());
      break;
    }
    case HistoryEvent::kActivityTaskStartedEventAttributes: {
      const auto& a = event.activity_task_started_event_attributes();
      p.Add("scheduled", a.scheduled_event_id())
          .Add("attempt", a.attempt())
          .Add("identity", a.identity());
      if (!a.last_failure().message().empty()) {
        p.Add("last_failure", FailureSummary(a.last_failure()));
      }
      break;
    }
    case HistoryEvent::kActivityTaskCompletedEventAttributes: {
      const auto& a = event.activity_task_completed_event_attributes();
      p.Add("scheduled", a.scheduled_event_id())
          .Add("result", Abbreviate(PayloadsToJson(a.result()), 80));
      break;
    }
    case HistoryEvent::kActivityTaskFailedEventAttributes: {
      const auto& a = event.activity_task_failed_event_attributes();
      p.Add("scheduled", a.scheduled_event_id())
          .AddFailure(a.failure())
          .Add("retry_state", RetryStateIfSet(a.retry_state()));
      break;
    }
    case HistoryEvent::kActivityTaskTimedOutEventAttributes: {
      const auto& a = event.activity_task_timed_out_event_attributes();
      p.Add("scheduled", a.scheduled_event_id())
          .Add("timeout", TimeoutIfSet(a.timeout_type()))
          .Add("retry_state", RetryStateIfSet(a.retry_state()));
      break;
    }
    case HistoryEvent::kActivityTaskCancelRequestedEventAttributes:
      p.Add("scheduled",
            event.activity_task_cancel_requested_event_attributes().scheduled_event_id());
      break;
    case HistoryEvent::kActivityTaskCanceledEventAttributes: {
      const auto& a = event.activity_task_canceled_event_attributes();
      p.Add("scheduled", a.scheduled_event_id()).AddPayloads("details", a.details());
      break;
    }
    case HistoryEvent::kTimerStartedEventAttributes: {
      const auto& a = event.timer_started_event_attributes();
      p.Add("timer_id", a.timer_id()).Add("fire_after", DurationIfSet(a.start_to_fire_timeout()));
      break;
    }
    case HistoryEvent::kTimerFiredEventAttributes:
      p.Add("timer_id", event.timer_fired_event_attributes().timer_id());
      break;
    case HistoryEvent::kTimerCanceledEventAttributes:
      p.Add("timer_id", event.timer_canceled_event_attributes().timer_id());
      break;
    case HistoryEvent::kMarkerRecordedEventAttributes: {
      const auto& a = event.marker_recorded_event_attributes();
      p.Add("name", a.marker_name()).AddFailure(a.failure());
      break;
    }
    case HistoryEvent::kStartChildWorkflowExecutionInitiatedEventAttributes: {
      const auto& a = event.start_child_workflow_execution_initiated_event_attributes();
      p.Add("workflow_id", a.workflow_id())
          .Add("type", a.workflow_type().name())
          .Add("namespace", a.namespace_())
          .Add("task_queue", a.task_queue().name())
          .AddPayloads("input", a.input())
          .Add("parent_close_policy", ParentClosePolicyText(a.parent_close_policy()));
      break;
    }
    case HistoryEvent::kStartChildWorkflowExecutionFailedEventAttributes: {
      const auto& a = event.start_child_workflow_execution_failed_event_attributes();
      p.Add("workflow_id", a.workflow_id())
          .Add("cause",
               a.cause() == api::v1::START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED
                   ? ""
                   : EnumSuffix(api::v1::StartChildWorkflowExecutionFailedCause_Name(a.cause()),
                                "CAUSE_"))
          .Add("initiated", a.initiated_event_id());
      break;
    }
    case HistoryEvent::kChildWorkflowExecutionStartedEventAttributes: {
      const auto& a = event.child_workflow_execution_started_event_attributes();
      p.Add("child", ExecutionText(a.workflow_execution()))
          .Add("type", a.workflow_type().name())
          .Add("initiated", a.initiated_event_id());
      break;
    }
    case HistoryEvent::kChildWorkflowExecutionCompletedEventAttributes: {
      const auto& a = event.child_workflow_execution_completed_event_attributes();
      p.Add("child", ExecutionText(a.workflow_execution()))
          .Add("initiated", a.initiated_event_id())
          .Add("result", Abbreviate(PayloadsToJson(a.result()), 80));
      break;
    }
    case HistoryEvent::kChildWorkflowExecutionFailedEventAttributes: {
      const auto& a = event.child_workflow_execution_failed_event_attributes();
      p.Add("child", ExecutionText(a.workflow_execution()))
          .Add("initiated", a.initiated_event_id())
          .AddFailure(a.failure());
      break;
    }
    case HistoryEvent::kChildWorkflowExecutionCanceledEventAttributes: {
      const auto& a = event.child_workflow_execution_canceled_event_attributes();
      p.Add("child", ExecutionText(a.workflow_execution()))
          .Add("initiated", a.initiated_event_id())
          .AddPayloads("details", a.details());
      break;
    }
    case HistoryEvent::kChildWorkflowExecutionTimedOutEventAttributes: {
      const auto& a = event.child_workflow_execution_timed_out_event_attributes();
      p.Add("child", ExecutionText(a.workflow_execution()))
          .Add("initiated", a.initiated_event_id());
      break;
    }
    case HistoryEvent::kChildWorkflowExecutionTerminatedEventAttributes: {
      const auto& a = event.child_workflow_execution_terminated_event_attributes();
      p.Add("child", ExecutionText(a.workflow_execution()))
          .Add("initiated", a.initiated_event_id());
      break;
    }
    case HistoryEvent::kSignalExternalWorkflowExecutionInitiatedEventAttributes: {
      const auto& a = event.signal_external_workflow_execution_initiated_event_attributes();
      p.Add("target", ExecutionText(a.workflow_execution()))
          .Add("namespace", a.namespace_())
          .Add("name", a.signal_name())
          .AddPayloads("input", a.input());
      if (a.child_workflow_only()) p.AddRaw("child_only");
      break;
    }
    case HistoryEvent::kSignalExternalWorkflowExecutionFailedEventAttributes: {
      const auto& a = event.signal_external_workflow_execution_failed_event_attributes();
      p.Add("target", ExecutionText(a.workflow_execution()))
          .Add("cause",
               EnumSuffix(api::v1::SignalExternalWorkflowExecutionFailedCause_Name(a.cause()),
                          "CAUSE_"))
          .Add("initiated", a.initiated_event_id());
      break;
    }
    case HistoryEvent::kExternalWorkflowExecutionSignaledEventAttributes: {
      const auto& a = event.external_workflow_execution_signaled_event_attributes();
      p.Add("target", ExecutionText(a.workflow_execution()))
          .Add("initiated", a.initiated_event_id());
      break;
    }
    case HistoryEvent::kRequestCancelExternalWorkflowExecutionInitiatedEventAttributes: {
      const auto& a = event.request_cancel_external_workflow_execution_initiated_event_attributes();
      p.Add("target", ExecutionText(a.workflow_execution()))
          .Add("namespace", a.namespace_())
          .Add("reason", a.reason().empty() ? "" : Quote(a.reason()));
      if (a.child_workflow_only()) p.AddRaw("child_only");
      break;
    }
    case HistoryEvent::kRequestCancelExternalWorkflowExecutionFailedEventAttributes: {
      const auto& a = event.request_cancel_external_workflow_execution_failed_event_attributes();
      p.Add("target", ExecutionText(a.workflow_execution()))
          .Add("cause",
               EnumSuffix(api::v1::CancelExternalWorkflowExecutionFailedCause_Name(a.cause()),
                          "CAUSE_"))
          .Add("initiated", a.initiated_event_id());
      break;
    }
    case HistoryEvent::kExternalWorkflowExecutionCancelRequestedEventAttributes: {
      const auto& a = event.external_workflow_execution_cancel_requested_event_attributes();
      p.Add("target", ExecutionText(a.workflow_execution()))
          .Add("initiated", a.initiated_event_id());
      break;
    }
    case HistoryEvent::ATTRIBUTES_NOT_SET:
      break;
    default:
      break;
  }
  return p.Join();
}

std::string FormatEventLine(const HistoryEvent& event) {
  std::string line =
      absl::StrFormat("%5d  %-24s  %-34s", event.event_id(), FormatTimestamp(event.event_time()),
                      EventTypeName(event.event_type()));
  const std::string summary = EventSummary(event);
  if (summary.empty()) {
    // Drop the padding of the type column when nothing follows it.
    while (!line.empty() && line.back() == ' ') line.pop_back();
  } else {
    absl::StrAppend(&line, "  ", summary);
  }
  return line;
}

}  // namespace weft::cli
