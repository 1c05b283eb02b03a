#include "server/history/state_rebuilder.h"

#include "absl/strings/str_cat.h"
#include "server/common/proto_time.h"

namespace weft::history {
namespace {

using api::v1::HistoryEvent;

absl::Status Bad(const HistoryEvent& e, const char* what) {
  return absl::InvalidArgumentError(absl::StrCat("cannot rebuild state at event ", e.event_id(),
                                                 " (", api::v1::EventType_Name(e.event_type()),
                                                 "): ", what));
}

void MergeSearchAttributes(const api::v1::SearchAttributes& upsert,
                           api::v1::SearchAttributes* into) {
  for (const auto& [name, value] : upsert.indexed_fields()) {
    if (value.data() == "null" || value.data().empty()) {
      into->mutable_indexed_fields()->erase(name);
    } else {
      (*into->mutable_indexed_fields())[name] = value;
    }
  }
}

// The initiated event id a child's outcome (or failed start) refers to.
int64_t ChildInitiatedEventId(const HistoryEvent& e) {
  switch (e.event_type()) {
    case api::v1::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
      return e.start_child_workflow_execution_failed_event_attributes().initiated_event_id();
    case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
      return e.child_workflow_execution_completed_event_attributes().initiated_event_id();
    case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
      return e.child_workflow_execution_failed_event_attributes().initiated_event_id();
    case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
      return e.child_workflow_execution_canceled_event_attributes().initiated_event_id();
    case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
      return e.child_workflow_execution_timed_out_event_attributes().initiated_event_id();
    case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
      return e.child_workflow_execution_terminated_event_attributes().initiated_event_id();
    default:
      return 0;
  }
}

}  // namespace

absl::StatusOr<internal::MutableState> RebuildMutableState(
    const internal::MutableState& identity, const std::vector<HistoryEvent>& events) {
  internal::MutableState ms;
  ms.set_namespace_id(identity.namespace_id());
  ms.set_namespace_name(identity.namespace_name());
  ms.set_workflow_id(identity.workflow_id());
  ms.set_run_id(identity.run_id());
  if (events.empty() ||
      events.front().event_type() != api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
    return absl::InvalidArgumentError(
        "cannot rebuild state: the history does not begin with WorkflowExecutionStarted");
  }
  int64_t expected_id = 1;
  int64_t bytes = 0;
  for (const HistoryEvent& e : events) {
    if (e.event_id() != expected_id) {
      return Bad(e, absl::StrCat("expected event id ", expected_id).c_str());
    }
    ++expected_id;
    bytes += static_cast<int64_t>(e.ByteSizeLong());
    switch (e.event_type()) {
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const auto& a = e.workflow_execution_started_event_attributes();
        *ms.mutable_workflow_type() = a.workflow_type();
        ms.set_task_queue(a.task_queue().name());
        ms.set_status(api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
        *ms.mutable_start_time() = e.event_time();
        *ms.mutable_workflow_task_timeout() = a.workflow_task_timeout();
        *ms.mutable_run_timeout() = a.workflow_run_timeout();
        *ms.mutable_execution_timeout() = a.workflow_execution_timeout();
        *ms.mutable_memo() = a.memo();
        if (e.has_trace_context()) *ms.mutable_trace_context() = e.trace_context();
        *ms.mutable_search_attributes() = a.search_attributes();
        ms.set_priority(a.priority());
        ms.set_first_run_id(a.first_execution_run_id());
        ms.set_continued_from_run_id(a.continued_execution_run_id());
        if (a.has_parent_workflow_execution()) {
          ms.set_parent_namespace(a.parent_workflow_namespace());
          ms.set_parent_workflow_id(a.parent_workflow_execution().workflow_id());
          ms.set_parent_run_id(a.parent_workflow_execution().run_id());
          ms.set_parent_initiated_event_id(a.parent_initiated_event_id());
        }
        break;
      }
      case api::v1::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED: {
        auto* wt = ms.mutable_workflow_task();
        wt->set_scheduled_event_id(e.event_id());
        wt->set_started_event_id(0);
        wt->set_attempt(e.workflow_task_scheduled_event_attributes().attempt());
        *wt->mutable_scheduled_time() = e.event_time();
        break;
      }
      case api::v1::EVENT_TYPE_WORKFLOW_TASK_STARTED: {
        auto* wt = ms.mutable_workflow_task();
        if (wt->scheduled_event_id() !=
            e.workflow_task_started_event_attributes().scheduled_event_id()) {
          return Bad(e, "no matching WorkflowTaskScheduled");
        }
        wt->set_started_event_id(e.event_id());
        *wt->mutable_started_time() = e.event_time();
        break;
      }
      case api::v1::EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        ms.set_last_workflow_task_started_event_id(
            e.workflow_task_completed_event_attributes().started_event_id());
        ms.clear_workflow_task();
        break;
      case api::v1::EVENT_TYPE_WORKFLOW_TASK_FAILED:
      case api::v1::EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: {
        int attempt = ms.workflow_task().attempt();
        ms.clear_workflow_task();
        ms.mutable_workflow_task()->set_attempt(attempt + 1);
        break;
      }
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const auto& a = e.activity_task_scheduled_event_attributes();
        internal::ActivityInfo& ai = (*ms.mutable_activities())[e.event_id()];
        ai.set_scheduled_event_id(e.event_id());
        ai.set_activity_id(a.activity_id());
        *ai.mutable_activity_type() = a.activity_type();
        ai.set_task_queue(a.task_queue().name());
        *ai.mutable_input() = a.input();
        *ai.mutable_schedule_to_close_timeout() = a.schedule_to_close_timeout();
        *ai.mutable_schedule_to_start_timeout() = a.schedule_to_start_timeout();
        *ai.mutable_start_to_close_timeout() = a.start_to_close_timeout();
        *ai.mutable_heartbeat_timeout() = a.heartbeat_timeout();
        *ai.mutable_retry_policy() = a.retry_policy();
        if (e.has_trace_context()) *ai.mutable_trace_context() = e.trace_context();
        ai.set_priority(a.priority());
        ai.set_attempt(1);
        *ai.mutable_first_scheduled_time() = e.event_time();
        break;
      }
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED: {
        int64_t id = e.activity_task_cancel_requested_event_attributes().scheduled_event_id();
        auto it = ms.mutable_activities()->find(id);
        if (it != ms.mutable_activities()->end()) {
          it->second.set_cancel_requested(true);
          it->second.set_cancel_requested_event_id(e.event_id());
        }
        break;
      }
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        ms.mutable_activities()->erase(
            e.activity_task_completed_event_attributes().scheduled_event_id());
        break;
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_FAILED:
        ms.mutable_activities()->erase(
            e.activity_task_failed_event_attributes().scheduled_event_id());
        break;
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
        ms.mutable_activities()->erase(
            e.activity_task_timed_out_event_attributes().scheduled_event_id());
        break;
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_CANCELED:
        ms.mutable_activities()->erase(
            e.activity_task_canceled_event_attributes().scheduled_event_id());
        break;
      case api::v1::EVENT_TYPE_TIMER_STARTED: {
        const auto& a = e.timer_started_event_attributes();
        internal::TimerInfo& ti = (*ms.mutable_timers())[a.timer_id()];
        ti.set_timer_id(a.timer_id());
        ti.set_started_event_id(e.event_id());
        *ti.mutable_fire_time() =
            ToProto(FromProto(e.event_time()) + FromProto(a.start_to_fire_timeout()));
        break;
      }
      case api::v1::EVENT_TYPE_TIMER_FIRED:
        ms.mutable_timers()->erase(e.timer_fired_event_attributes().timer_id());
        break;
      case api::v1::EVENT_TYPE_TIMER_CANCELED:
        ms.mutable_timers()->erase(e.timer_canceled_event_attributes().timer_id());
        break;
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        ms.set_cancel_requested(true);
        break;
      case api::v1::EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        MergeSearchAttributes(
            e.upsert_workflow_search_attributes_event_attributes().search_attributes(),
            ms.mutable_search_attributes());
        break;
      case api::v1::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: {
        const auto& a = e.start_child_workflow_execution_initiated_event_attributes();
        internal::ChildExecutionInfo& ci = (*ms.mutable_children())[e.event_id()];
        ci.set_initiated_event_id(e.event_id());
        ci.set_namespace_(a.namespace_());
        ci.set_workflow_id(a.workflow_id());
        *ci.mutable_workflow_type() = a.workflow_type();
        ci.set_parent_close_policy(a.parent_close_policy());
        break;
      }
      case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: {
        const auto& a = e.child_workflow_execution_started_event_attributes();
        auto it = ms.mutable_children()->find(a.initiated_event_id());
        if (it != ms.mutable_children()->end()) {
          it->second.set_run_id(a.workflow_execution().run_id());
          it->second.set_started_event_id(e.event_id());
        }
        break;
      }
      case api::v1::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
      case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
      case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
      case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
      case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
      case api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
        ms.mutable_children()->erase(ChildInitiatedEventId(e));
        break;
      case api::v1::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: {
        const auto& a = e.signal_external_workflow_execution_initiated_event_attributes();
        internal::ExternalRequestInfo& ri = (*ms.mutable_pending_signals())[e.event_id()];
        ri.set_initiated_event_id(e.event_id());
        ri.set_namespace_(a.namespace_());
        ri.set_workflow_id(a.workflow_execution().workflow_id());
        ri.set_run_id(a.workflow_execution().run_id());
        ri.set_child_workflow_only(a.child_workflow_only());
        break;
      }
      case api::v1::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
        ms.mutable_pending_signals()->erase(
            e.external_workflow_execution_signaled_event_attributes().initiated_event_id());
        break;
      case api::v1::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
        ms.mutable_pending_signals()->erase(
            e.signal_external_workflow_execution_failed_event_attributes().initiated_event_id());
        break;
      case api::v1::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: {
        const auto& a = e.request_cancel_external_workflow_execution_initiated_event_attributes();
        internal::ExternalRequestInfo& ri = (*ms.mutable_pending_cancels())[e.event_id()];
        ri.set_initiated_event_id(e.event_id());
        ri.set_namespace_(a.namespace_());
        ri.set_workflow_id(a.workflow_execution().workflow_id());
        ri.set_run_id(a.workflow_execution().run_id());
        ri.set_child_workflow_only(a.child_workflow_only());
        break;
      }
      case api::v1::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        ms.mutable_pending_cancels()->erase(
            e.external_workflow_execution_cancel_requested_event_attributes().initiated_event_id());
        break;
      case api::v1::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
        ms.mutable_pending_cancels()->erase(
            e.request_cancel_external_workflow_execution_failed_event_attributes()
                .initiated_event_id());
        break;
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        return Bad(e, "a prefix to reset to cannot contain the run's close event");
      default:
        break;  // signals, markers, activity started: no state of their own
    }
  }
  ms.set_next_event_id(expected_id);
  ms.set_history_size_bytes(bytes);
  return ms;
}

}  // namespace weft::history
