#include "cli/workflow_result.h"

#include <gtest/gtest.h>

#include "cli/exit_codes.h"
#include "google/protobuf/text_format.h"

namespace weft::cli {
namespace {

api::v1::HistoryEvent Event(const std::string& text_proto) {
  api::v1::HistoryEvent event;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text_proto, &event)) << text_proto;
  return event;
}

TEST(DescribeCloseEventTest, CompletedPrintsResultJson) {
  CloseOutcome o = DescribeCloseEvent(Event(R"pb(
                                        event_type: EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
                                        workflow_execution_completed_event_attributes {
                                          result { payloads { data: "{\"greeting\": \"hi\"}" } }
                                        })pb"),
                                      "w1");
  EXPECT_EQ(o.exit_code, kExitOk);
  EXPECT_EQ(o.stdout_text, "{\"greeting\":\"hi\"}\n");
  EXPECT_EQ(o.stderr_text, "");
}

TEST(DescribeCloseEventTest, CompletedWithoutResultPrintsNull) {
  CloseOutcome o = DescribeCloseEvent(Event("event_type: EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED "
                                            "workflow_execution_completed_event_attributes {}"),
                                      "w1");
  EXPECT_EQ(o.exit_code, kExitOk);
  EXPECT_EQ(o.stdout_text, "null\n");
}

TEST(DescribeCloseEventTest, FailedSaysWhy) {
  CloseOutcome o = DescribeCloseEvent(Event(R"pb(
                                        event_type: EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
                                        workflow_execution_failed_event_attributes {
                                          failure { message: "card declined" type: "CardError" }
                                          retry_state: RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED
                                        })pb"),
                                      "order-1");
  EXPECT_EQ(o.exit_code, kExitWorkflowNotCompleted);
  EXPECT_EQ(o.stdout_text, "");
  EXPECT_EQ(o.stderr_text,
            "weft: workflow \"order-1\" failed: \"card declined\" type=CardError (retry state "
            "MAXIMUM_ATTEMPTS_REACHED)\n");
}

TEST(DescribeCloseEventTest, TerminatedCanceledTimedOut) {
  CloseOutcome terminated = DescribeCloseEvent(
      Event(R"pb(
        event_type: EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED
        workflow_execution_terminated_event_attributes { reason: "stuck" identity: "alice" })pb"),
      "w");
  EXPECT_EQ(terminated.exit_code, kExitWorkflowNotCompleted);
  EXPECT_EQ(terminated.stderr_text,
            "weft: workflow \"w\" was terminated: reason \"stuck\" by alice\n");

  CloseOutcome canceled =
      DescribeCloseEvent(Event("event_type: EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED "
                               "workflow_execution_canceled_event_attributes {}"),
                         "w");
  EXPECT_EQ(canceled.exit_code, kExitWorkflowNotCompleted);
  EXPECT_EQ(canceled.stderr_text, "weft: workflow \"w\" was canceled\n");

  CloseOutcome timed_out = DescribeCloseEvent(
      Event("event_type: EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT "
            "workflow_execution_timed_out_event_attributes { retry_state: RETRY_STATE_TIMEOUT }"),
      "w");
  EXPECT_EQ(timed_out.exit_code, kExitWorkflowNotCompleted);
  EXPECT_EQ(timed_out.stderr_text,
            "weft: workflow \"w\" timed out (its execution or run timeout passed), retry state "
            "TIMEOUT\n");
}

TEST(IsCloseEventTest, OnlyClosingEvents) {
  api::v1::HistoryEvent e;
  e.set_event_type(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  EXPECT_FALSE(IsCloseEvent(e));
  e.set_event_type(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
  EXPECT_FALSE(IsCloseEvent(e));
  e.set_event_type(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  EXPECT_TRUE(IsCloseEvent(e));
  e.set_event_type(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  EXPECT_TRUE(IsCloseEvent(e));
}

}  // namespace
}  // namespace weft::cli
