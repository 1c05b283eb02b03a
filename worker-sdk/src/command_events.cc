#include "command_events.h"

#include <cctype>
#include <string>

#include "absl/strings/str_cat.h"

namespace weft::detail {
namespace {

using api::v1::Command;
using api::v1::HistoryEvent;

std::string EventName(api::v1::EventType type) {
  // "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED" -> "ActivityTaskScheduled".
  std::string name = api::v1::EventType_Name(type);
  if (name.rfind("EVENT_TYPE_", 0) == 0) name = name.substr(11);
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '_') {
      upper = true;
    } else {
      out += upper ? c : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      upper = false;
    }
  }
  return out;
}

}  // namespace

std::string DescribeEvent(const HistoryEvent& e) {
  using api::v1::EventType;
  switch (e.event_type()) {
    case EventType::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
      return absl::StrCat("ActivityTaskScheduled(activity_id=",
                          e.activity_task_scheduled_event_attributes().activity_id(), ", type=",
                          e.activity_task_scheduled_event_attributes().activity_type().name(), ")");
    case EventType::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
      return absl::StrCat("ActivityTaskCancelRequested(scheduled_event_id=",
                          e.activity_task_cancel_requested_event_attributes().scheduled_event_id(),
                          ")");
    case EventType::EVENT_TYPE_TIMER_STARTED:
      return absl::StrCat("TimerStarted(timer_id=", e.timer_started_event_attributes().timer_id(),
                          ")");
    case EventType::EVENT_TYPE_TIMER_CANCELED:
      return absl::StrCat("TimerCanceled(timer_id=", e.timer_canceled_event_attributes().timer_id(),
                          ")");
    case EventType::EVENT_TYPE_MARKER_RECORDED:
      return absl::StrCat(
          "MarkerRecorded(name=", e.marker_recorded_event_attributes().marker_name(), ")");
    case EventType::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: {
      const auto& a = e.start_child_workflow_execution_initiated_event_attributes();
      return absl::StrCat("StartChildWorkflowExecutionInitiated(workflow_id=", a.workflow_id(),
                          ", type=", a.workflow_type().name(), ")");
    }
    case EventType::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: {
      const auto& a = e.signal_external_workflow_execution_initiated_event_attributes();
      return absl::StrCat("SignalExternalWorkflowExecutionInitiated(workflow_id=",
                          a.workflow_execution().workflow_id(), ", signal=", a.signal_name(), ")");
    }
    case EventType::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
      return absl::StrCat(
          "RequestCancelExternalWorkflowExecutionInitiated(workflow_id=",
          e.request_cancel_external_workflow_execution_initiated_event_attributes()
              .workflow_execution()
              .workflow_id(),
          ")");
    default:
      return EventName(e.event_type());
  }
}

std::string DescribeCommand(const Command& c) {
  using api::v1::CommandType;
  switch (c.command_type()) {
    case CommandType::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
      return absl::StrCat(
          "ScheduleActivityTask(activity_id=",
          c.schedule_activity_task_command_attributes().activity_id(),
          ", type=", c.schedule_activity_task_command_attributes().activity_type().name(), ")");
    case CommandType::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
      return absl::StrCat("RequestCancelActivityTask(scheduled_event_id=",
                          c.request_cancel_activity_task_command_attributes().scheduled_event_id(),
                          ")");
    case CommandType::COMMAND_TYPE_START_TIMER:
      return absl::StrCat("StartTimer(timer_id=", c.start_timer_command_attributes().timer_id(),
                          ")");
    case CommandType::COMMAND_TYPE_CANCEL_TIMER:
      return absl::StrCat("CancelTimer(timer_id=", c.cancel_timer_command_attributes().timer_id(),
                          ")");
    case CommandType::COMMAND_TYPE_RECORD_MARKER:
      return absl::StrCat("RecordMarker(name=", c.record_marker_command_attributes().marker_name(),
                          ")");
    case CommandType::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
      return "CompleteWorkflowExecution";
    case CommandType::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
      return "FailWorkflowExecution";
    case CommandType::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
      return "CancelWorkflowExecution";
    case CommandType::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
      return "ContinueAsNewWorkflowExecution";
    case CommandType::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
      const auto& a = c.start_child_workflow_execution_command_attributes();
      return absl::StrCat("StartChildWorkflowExecution(workflow_id=", a.workflow_id(),
                          ", type=", a.workflow_type().name(), ")");
    }
    case CommandType::COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: {
      const auto& a = c.signal_external_workflow_execution_command_attributes();
      return absl::StrCat("SignalExternalWorkflowExecution(workflow_id=",
                          a.execution().workflow_id(), ", signal=", a.signal_name(), ")");
    }
    case CommandType::COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
      return absl::StrCat(
          "RequestCancelExternalWorkflowExecution(workflow_id=",
          c.request_cancel_external_workflow_execution_command_attributes().workflow_id(), ")");
    default:
      return api::v1::CommandType_Name(c.command_type());
  }
}

bool CommandMatchesEvent(const Command& c, const HistoryEvent& e) {
  using api::v1::CommandType;
  using api::v1::EventType;
  switch (c.command_type()) {
    case CommandType::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
      if (e.event_type() != EventType::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) return false;
      const auto& ca = c.schedule_activity_task_command_attributes();
      const auto& ea = e.activity_task_scheduled_event_attributes();
      return ca.activity_id() == ea.activity_id() &&
             ca.activity_type().name() == ea.activity_type().name();
    }
    case CommandType::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
      return e.event_type() == EventType::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED &&
             c.request_cancel_activity_task_command_attributes().scheduled_event_id() ==
                 e.activity_task_cancel_requested_event_attributes().scheduled_event_id();
    case CommandType::COMMAND_TYPE_START_TIMER:
      return e.event_type() == EventType::EVENT_TYPE_TIMER_STARTED &&
             c.start_timer_command_attributes().timer_id() ==
                 e.timer_started_event_attributes().timer_id();
    case CommandType::COMMAND_TYPE_CANCEL_TIMER:
      return e.event_type() == EventType::EVENT_TYPE_TIMER_CANCELED &&
             c.cancel_timer_command_attributes().timer_id() ==
                 e.timer_canceled_event_attributes().timer_id();
    case CommandType::COMMAND_TYPE_RECORD_MARKER:
      return e.event_type() == EventType::EVENT_TYPE_MARKER_RECORDED &&
             c.record_marker_command_attributes().marker_name() ==
                 e.marker_recorded_event_attributes().marker_name();
    case CommandType::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
      return e.event_type() == EventType::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED;
    case CommandType::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
      return e.event_type() == EventType::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED;
    case CommandType::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
      return e.event_type() == EventType::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED;
    case CommandType::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
      return e.event_type() == EventType::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW;
    case CommandType::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
      if (e.event_type() != EventType::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) {
        return false;
      }
      const auto& ca = c.start_child_workflow_execution_command_attributes();
      const auto& ea = e.start_child_workflow_execution_initiated_event_attributes();
      return ca.workflow_id() == ea.workflow_id() &&
             ca.workflow_type().name() == ea.workflow_type().name();
    }
    case CommandType::COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: {
      if (e.event_type() != EventType::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED) {
        return false;
      }
      const auto& ca = c.signal_external_workflow_execution_command_attributes();
      const auto& ea = e.signal_external_workflow_execution_initiated_event_attributes();
      return ca.execution().workflow_id() == ea.workflow_execution().workflow_id() &&
             ca.signal_name() == ea.signal_name();
    }
    case CommandType::COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
      // Same names in the same order of commands: values may differ only if the code reads
      // nondeterministic input, which replay cannot see anyway.
      if (e.event_type() != EventType::EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) return false;
      const auto& cf = c.upsert_workflow_search_attributes_command_attributes()
                           .search_attributes()
                           .indexed_fields();
      const auto& ef = e.upsert_workflow_search_attributes_event_attributes()
                           .search_attributes()
                           .indexed_fields();
      if (cf.size() != ef.size()) return false;
      for (const auto& [name, value] : cf) {
        if (!ef.contains(name)) return false;
      }
      return true;
    }
    case CommandType::COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
      return e.event_type() ==
                 EventType::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED &&
             c.request_cancel_external_workflow_execution_command_attributes().workflow_id() ==
                 e.request_cancel_external_workflow_execution_initiated_event_attributes()
                     .workflow_execution()
                     .workflow_id();
    default:
      return false;
  }
}

bool IsCommandEvent(const HistoryEvent& e, int64_t* completed_id) {
  using api::v1::EventType;
  switch (e.event_type()) {
    case EventType::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
      *completed_id =
          e.activity_task_scheduled_event_attributes().workflow_task_completed_event_id();
      return true;
    case EventType::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
      *completed_id =
          e.activity_task_cancel_requested_event_attributes().workflow_task_completed_event_id();
      return true;
    case EventType::EVENT_TYPE_TIMER_STARTED:
      *completed_id = e.timer_started_event_attributes().workflow_task_completed_event_id();
      return true;
    case EventType::EVENT_TYPE_TIMER_CANCELED:
      *completed_id = e.timer_canceled_event_attributes().workflow_task_completed_event_id();
      return true;
    case EventType::EVENT_TYPE_MARKER_RECORDED:
      *completed_id = e.marker_recorded_event_attributes().workflow_task_completed_event_id();
      return true;
    case EventType::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
      *completed_id =
          e.workflow_execution_completed_event_attributes().workflow_task_completed_event_id();
      return true;
    case EventType::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      *completed_id =
          e.workflow_execution_failed_event_attributes().workflow_task_completed_event_id();
      return true;
    case EventType::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      *completed_id =
          e.workflow_execution_canceled_event_attributes().workflow_task_completed_event_id();
      return true;
    case EventType::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
      *completed_id = e.workflow_execution_continued_as_new_event_attributes()
                          .workflow_task_completed_event_id();
      return true;
    case EventType::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
      *completed_id = e.start_child_workflow_execution_initiated_event_attributes()
                          .workflow_task_completed_event_id();
      return true;
    case EventType::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
      *completed_id = e.signal_external_workflow_execution_initiated_event_attributes()
                          .workflow_task_completed_event_id();
      return true;
    case EventType::EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
      *completed_id = e.upsert_workflow_search_attributes_event_attributes()
                          .workflow_task_completed_event_id();
      return true;
    case EventType::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
      *completed_id = e.request_cancel_external_workflow_execution_initiated_event_attributes()
                          .workflow_task_completed_event_id();
      return true;
    default:
      return false;
  }
}

}  // namespace weft::detail
