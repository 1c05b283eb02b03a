// HistoryBuilder: builds workflow histories by hand for tests, numbering events and linking
// command events to their WorkflowTaskCompleted the way the server does.
//
// Thread safety: none; a test-local value.
#ifndef WEFT_SDK_SRC_HISTORY_BUILDER_FOR_TEST_H_
#define WEFT_SDK_SRC_HISTORY_BUILDER_FOR_TEST_H_

#include <string>

#include "weft/api/v1/history.pb.h"
#include "weft/payload.h"

namespace weft::testing {

class HistoryBuilder {
 public:
  using Event = api::v1::HistoryEvent;

  HistoryBuilder(const std::string& workflow_type, api::v1::Payloads input) {
    auto& a = *Add(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
                   .mutable_workflow_execution_started_event_attributes();
    a.mutable_workflow_type()->set_name(workflow_type);
    a.mutable_task_queue()->set_name("q");
    *a.mutable_input() = std::move(input);
    a.set_attempt(1);
  }

  // WorkflowTaskScheduled + WorkflowTaskStarted; returns the started event id.
  int64_t StartTask() {
    Add(api::v1::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
    return Add(api::v1::EVENT_TYPE_WORKFLOW_TASK_STARTED).event_id();
  }
  // StartTask + WorkflowTaskCompleted; returns the completed event id, to pass to commands.
  int64_t CompleteTask() {
    int64_t started = StartTask();
    auto& e = Add(api::v1::EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    e.mutable_workflow_task_completed_event_attributes()->set_started_event_id(started);
    return e.event_id();
  }
  void FailTask() {
    int64_t started = StartTask();
    auto& e = Add(api::v1::EVENT_TYPE_WORKFLOW_TASK_FAILED);
    e.mutable_workflow_task_failed_event_attributes()->set_started_event_id(started);
  }
  void TimeOutTask() {
    int64_t started = StartTask();
    auto& e = Add(api::v1::EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
    e.mutable_workflow_task_timed_out_event_attributes()->set_started_event_id(started);
  }

  int64_t ActivityScheduled(int64_t completed, const std::string& id, const std::string& type) {
    auto& e = Add(api::v1::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    auto& a = *e.mutable_activity_task_scheduled_event_attributes();
    a.set_activity_id(id);
    a.mutable_activity_type()->set_name(type);
    a.set_workflow_task_completed_event_id(completed);
    return e.event_id();
  }
  int64_t ActivityStarted(int64_t scheduled) {
    auto& e = Add(api::v1::EVENT_TYPE_ACTIVITY_TASK_STARTED);
    e.mutable_activity_task_started_event_attributes()->set_scheduled_event_id(scheduled);
    return e.event_id();
  }
  void ActivityCompleted(int64_t scheduled, api::v1::Payload result) {
    int64_t started = ActivityStarted(scheduled);
    auto& a = *Add(api::v1::EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
                   .mutable_activity_task_completed_event_attributes();
    a.set_scheduled_event_id(scheduled);
    a.set_started_event_id(started);
    *a.mutable_result()->add_payloads() = std::move(result);
  }
  void ActivityFailed(int64_t scheduled, const std::string& message, const std::string& type) {
    int64_t started = ActivityStarted(scheduled);
    auto& a = *Add(api::v1::EVENT_TYPE_ACTIVITY_TASK_FAILED)
                   .mutable_activity_task_failed_event_attributes();
    a.set_scheduled_event_id(scheduled);
    a.set_started_event_id(started);
    a.mutable_failure()->set_message(message);
    a.mutable_failure()->set_type(type);
  }
  void ActivityTimedOut(int64_t scheduled) {
    auto& a = *Add(api::v1::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)
                   .mutable_activity_task_timed_out_event_attributes();
    a.set_scheduled_event_id(scheduled);
    a.set_timeout_type(api::v1::TIMEOUT_TYPE_START_TO_CLOSE);
  }

  void TimerStarted(int64_t completed, const std::string& id) {
    auto& a = *Add(api::v1::EVENT_TYPE_TIMER_STARTED).mutable_timer_started_event_attributes();
    a.set_timer_id(id);
    a.set_workflow_task_completed_event_id(completed);
  }
  void TimerFired(const std::string& id) {
    Add(api::v1::EVENT_TYPE_TIMER_FIRED).mutable_timer_fired_event_attributes()->set_timer_id(id);
  }
  void TimerCanceled(int64_t completed, const std::string& id) {
    auto& a = *Add(api::v1::EVENT_TYPE_TIMER_CANCELED).mutable_timer_canceled_event_attributes();
    a.set_timer_id(id);
    a.set_workflow_task_completed_event_id(completed);
  }
  void Marker(int64_t completed, const std::string& name, api::v1::Payload data) {
    auto& a = *Add(api::v1::EVENT_TYPE_MARKER_RECORDED).mutable_marker_recorded_event_attributes();
    a.set_marker_name(name);
    a.set_workflow_task_completed_event_id(completed);
    *(*a.mutable_details())["data"].add_payloads() = std::move(data);
  }
  void VersionMarker(int64_t completed, const std::string& change_id, int version) {
    auto& a = *Add(api::v1::EVENT_TYPE_MARKER_RECORDED).mutable_marker_recorded_event_attributes();
    a.set_marker_name("Version");
    a.set_workflow_task_completed_event_id(completed);
    *(*a.mutable_details())["change_id"].add_payloads() = ToPayload(change_id);
    *(*a.mutable_details())["version"].add_payloads() = ToPayload(version);
  }
  void MutableSideEffectMarker(int64_t completed, const std::string& id, api::v1::Payload data) {
    auto& a = *Add(api::v1::EVENT_TYPE_MARKER_RECORDED).mutable_marker_recorded_event_attributes();
    a.set_marker_name("MutableSideEffect");
    a.set_workflow_task_completed_event_id(completed);
    *(*a.mutable_details())["id"].add_payloads() = ToPayload(id);
    *(*a.mutable_details())["data"].add_payloads() = std::move(data);
  }
  void ActivityCancelRequested(int64_t completed, int64_t scheduled) {
    auto& a = *Add(api::v1::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED)
                   .mutable_activity_task_cancel_requested_event_attributes();
    a.set_scheduled_event_id(scheduled);
    a.set_workflow_task_completed_event_id(completed);
  }
  void ActivityCanceled(int64_t scheduled) {
    auto& a = *Add(api::v1::EVENT_TYPE_ACTIVITY_TASK_CANCELED)
                   .mutable_activity_task_canceled_event_attributes();
    a.set_scheduled_event_id(scheduled);
  }
  void ContinuedAsNew(int64_t completed, const std::string& new_run_id, api::v1::Payloads input) {
    auto& a = *Add(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW)
                   .mutable_workflow_execution_continued_as_new_event_attributes();
    a.set_new_execution_run_id(new_run_id);
    *a.mutable_input() = std::move(input);
    a.set_workflow_task_completed_event_id(completed);
  }
  void Signaled(const std::string& name, api::v1::Payloads input) {
    auto& a = *Add(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
                   .mutable_workflow_execution_signaled_event_attributes();
    a.set_signal_name(name);
    *a.mutable_input() = std::move(input);
  }
  void CancelRequested() { Add(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED); }
  void Completed(int64_t completed, api::v1::Payload result) {
    auto& a = *Add(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
                   .mutable_workflow_execution_completed_event_attributes();
    a.set_workflow_task_completed_event_id(completed);
    *a.mutable_result()->add_payloads() = std::move(result);
  }

  // Child workflows and external requests.
  int64_t ChildInitiated(int64_t completed, const std::string& workflow_id,
                         const std::string& type) {
    auto& e = Add(api::v1::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED);
    auto& a = *e.mutable_start_child_workflow_execution_initiated_event_attributes();
    a.set_workflow_id(workflow_id);
    a.mutable_workflow_type()->set_name(type);
    a.set_workflow_task_completed_event_id(completed);
    return e.event_id();
  }
  void ChildStarted(int64_t initiated, const std::string& workflow_id, const std::string& run_id) {
    auto& a = *Add(api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
                   .mutable_child_workflow_execution_started_event_attributes();
    a.set_initiated_event_id(initiated);
    a.mutable_workflow_execution()->set_workflow_id(workflow_id);
    a.mutable_workflow_execution()->set_run_id(run_id);
  }
  void ChildCompleted(int64_t initiated, const std::string& workflow_id, api::v1::Payload result) {
    auto& a = *Add(api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED)
                   .mutable_child_workflow_execution_completed_event_attributes();
    a.set_initiated_event_id(initiated);
    a.mutable_workflow_execution()->set_workflow_id(workflow_id);
    *a.mutable_result()->add_payloads() = std::move(result);
  }
  void ChildFailed(int64_t initiated, const std::string& workflow_id, const std::string& message) {
    auto& a = *Add(api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED)
                   .mutable_child_workflow_execution_failed_event_attributes();
    a.set_initiated_event_id(initiated);
    a.mutable_workflow_execution()->set_workflow_id(workflow_id);
    a.mutable_failure()->set_message(message);
  }
  void ChildCanceled(int64_t initiated, const std::string& workflow_id) {
    auto& a = *Add(api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED)
                   .mutable_child_workflow_execution_canceled_event_attributes();
    a.set_initiated_event_id(initiated);
    a.mutable_workflow_execution()->set_workflow_id(workflow_id);
  }
  void StartChildFailed(int64_t initiated, const std::string& workflow_id) {
    auto& a = *Add(api::v1::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED)
                   .mutable_start_child_workflow_execution_failed_event_attributes();
    a.set_initiated_event_id(initiated);
    a.set_workflow_id(workflow_id);
    a.set_cause(api::v1::START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS);
  }
  int64_t SignalExternalInitiated(int64_t completed, const std::string& workflow_id,
                                  const std::string& signal, const std::string& control) {
    auto& e = Add(api::v1::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED);
    auto& a = *e.mutable_signal_external_workflow_execution_initiated_event_attributes();
    a.mutable_workflow_execution()->set_workflow_id(workflow_id);
    a.set_signal_name(signal);
    a.set_control(control);
    a.set_workflow_task_completed_event_id(completed);
    return e.event_id();
  }
  void ExternalSignaled(int64_t initiated, const std::string& control) {
    auto& a = *Add(api::v1::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED)
                   .mutable_external_workflow_execution_signaled_event_attributes();
    a.set_initiated_event_id(initiated);
    a.set_control(control);
  }
  void SignalExternalFailed(int64_t initiated, const std::string& control) {
    auto& a = *Add(api::v1::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED)
                   .mutable_signal_external_workflow_execution_failed_event_attributes();
    a.set_initiated_event_id(initiated);
    a.set_control(control);
    a.set_cause(api::v1::
                    SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND);
  }
  int64_t CancelExternalInitiated(int64_t completed, const std::string& workflow_id) {
    auto& e = Add(api::v1::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED);
    auto& a = *e.mutable_request_cancel_external_workflow_execution_initiated_event_attributes();
    a.mutable_workflow_execution()->set_workflow_id(workflow_id);
    a.set_workflow_task_completed_event_id(completed);
    return e.event_id();
  }
  void ExternalCancelRequested(int64_t initiated, const std::string& workflow_id) {
    auto& a = *Add(api::v1::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
                   .mutable_external_workflow_execution_cancel_requested_event_attributes();
    a.set_initiated_event_id(initiated);
    a.mutable_workflow_execution()->set_workflow_id(workflow_id);
  }

  const api::v1::History& history() const { return history_; }
  int64_t last_event_id() const { return history_.events_size(); }

  // Event times advance one second per event from this start (seconds since the epoch).
  static constexpr int64_t kStartSeconds = 1700000000;

 private:
  Event& Add(api::v1::EventType type) {
    Event& e = *history_.add_events();
    e.set_event_id(history_.events_size());
    e.set_event_type(type);
    e.mutable_event_time()->set_seconds(kStartSeconds + e.event_id());
    return e;
  }

  api::v1::History history_;
};

}  // namespace weft::testing

#endif  // WEFT_SDK_SRC_HISTORY_BUILDER_FOR_TEST_H_
