#include "cli/event_summary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"

namespace weft::cli {
namespace {

api::v1::HistoryEvent Event(const std::string& text_proto) {
  api::v1::HistoryEvent event;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text_proto, &event)) << text_proto;
  return event;
}

TEST(FormatTimestampTest, UtcWithMilliseconds) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(1714564800);  // 2024-05-01T12:00:00Z
  ts.set_nanos(250000000);
  EXPECT_EQ(FormatTimestamp(ts), "2024-05-01T12:00:00.250Z");
  EXPECT_EQ(FormatTimestamp(google::protobuf::Timestamp()), "-");
}

TEST(EventSummaryTest, WorkflowStarted) {
  EXPECT_EQ(EventSummary(Event(R"pb(
              event_type: EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
              workflow_execution_started_event_attributes {
                workflow_type { name: "Greet" }
                task_queue { name: "greetings" }
                input {
                  payloads { data: "\"world\"" }
                  payloads { data: "2" }
                }
                workflow_run_timeout { seconds: 90 }
                attempt: 1
              })pb")),
            "type=Greet task_queue=greetings input=[\"world\",2] run_timeout=1m30s");
}

TEST(EventSummaryTest, ActivityLifecycle) {
  EXPECT_EQ(EventSummary(Event(R"pb(
              event_type: EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
              activity_task_scheduled_event_attributes {
                activity_id: "1"
                activity_type { name: "Charge" }
                task_queue { name: "payments" }
                input { payloads { data: "42" } }
              })pb")),
            "activity_id=1 type=Charge task_queue=payments input=[42]");
  EXPECT_EQ(EventSummary(Event(R"pb(
              event_type: EVENT_TYPE_ACTIVITY_TASK_STARTED
              activity_task_started_event_attributes {
                scheduled_event_id: 5
                attempt: 3
                identity: "worker-1"
              })pb")),
            "scheduled=5 attempt=3 identity=worker-1");
  EXPECT_EQ(EventSummary(Event(R"pb(
              event_type: EVENT_TYPE_ACTIVITY_TASK_COMPLETED
              activity_task_completed_event_attributes {
                scheduled_event_id: 5
                result { payloads { data: "{\"ok\": true}" } }
              })pb")),
            "scheduled=5 result={\"ok\":true}");
  EXPECT_EQ(EventSummary(Event(R"pb(
              event_type: EVENT_TYPE_ACTIVITY_TASK_FAILED
              activity_task_failed_event_attributes {
                scheduled_event_id: 5
                failure {
                  message: "card declined"
                  type: "CardError"
                  non_retryable: true
                  cause { message: "HTTP 402" }
                }
                retry_state: RETRY_STATE_NON_RETRYABLE_FAILURE
              })pb")),
            "scheduled=5 failure=\"card declined\" type=CardError non_retryable; cause: "
            "\"HTTP 402\" retry_state=NON_RETRYABLE_FAILURE");
  EXPECT_EQ(EventSummary(Event(R"pb(
              event_type: EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT
              activity_task_timed_out_event_attributes {
                scheduled_event_id: 5
                timeout_type: TIMEOUT_TYPE_HEARTBEAT
                retry_state: RETRY_STATE_TIMEOUT
              })pb")),
            "scheduled=5 timeout=HEARTBEAT retry_state=TIMEOUT");
}

TEST(EventSummaryTest, ExternalEventsAndTimers) {
  EXPECT_EQ(EventSummary(Event(R"pb(
              event_type: EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
              workflow_execution_signaled_event_attributes {
                signal_name: "approve"
                input { payloads { data: "\"yes\"" } }
              })pb")),
            "name=approve input=[\"yes\"]");
  EXPECT_EQ(EventSummary(Event(R"pb(
              event_type: EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED
              workflow_execution_terminated_event_attributes {
                reason: "stuck \"forever\""
                identity: "alice"
              })pb")),
            "reason=\"stuck \\\"forever\\\"\" identity=alice");
  EXPECT_EQ(EventSummary(Event(R"pb(
              event_type: EVENT_TYPE_TIMER_STARTED
              timer_started_event_attributes {
                timer_id: "t1"
                start_to_fire_timeout { seconds: 3600 }
              })pb")),
            "timer_id=t1 fire_after=1h");
  EXPECT_EQ(EventSummary(Event(R"pb(
              event_type: EVENT_TYPE_WORKFLOW_TASK_FAILED
              workflow_task_failed_event_attributes {
                scheduled_event_id: 8
                started_event_id: 9
                cause: WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
                failure { message: "boom" }
              })pb")),
            "scheduled=8 started=9 cause=NON_DETERMINISTIC_ERROR failure=\"boom\"");
  EXPECT_EQ(EventSummary(Event(R"pb(
              event_type: EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
              workflow_execution_completed_event_attributes {
                result { payloads { data: "\"hello world\"" } }
              })pb")),
            "result=\"hello world\"");
}

TEST(EventSummaryTest, LongPayloadsAreCut) {
  const std::string big = absl::StrCat("\"", std::string(200, 'a'), "\"");
  api::v1::HistoryEvent event;
  event.set_event_type(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  auto* a = event.mutable_workflow_execution_signaled_event_attributes();
  a->set_signal_name("s");
  a->mutable_input()->add_payloads()->set_data(big);
  const std::string summary = EventSummary(event);
  EXPECT_EQ(summary.size(), std::string("name=s input=").size() + 80);
  EXPECT_TRUE(absl::EndsWith(summary, "aaa...")) << summary;
}

TEST(FormatEventLineTest, AlignedColumns) {
  api::v1::HistoryEvent event = Event(R"pb(
    event_id: 3
    event_time { seconds: 1714564800 }
    event_type: EVENT_TYPE_WORKFLOW_TASK_STARTED
    workflow_task_started_event_attributes { scheduled_event_id: 2 identity: "w1" })pb");
  EXPECT_EQ(FormatEventLine(event),
            "    3  2024-05-01T12:00:00.000Z  WorkflowTaskStarted                 scheduled=2 "
            "identity=w1");
  api::v1::HistoryEvent bare = Event(R"pb(
    event_id: 12
    event_time { seconds: 1714564800 }
    event_type: EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED
    workflow_execution_canceled_event_attributes {})pb");
  EXPECT_EQ(FormatEventLine(bare), "   12  2024-05-01T12:00:00.000Z  WorkflowExecutionCanceled");
}

}  // namespace
}  // namespace weft::cli
