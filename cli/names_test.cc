#include "cli/names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weft::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(StatusNamesTest, FlagValuesMapToStatuses) {
  EXPECT_THAT(StatusFlagValues(), ElementsAre("running", "completed", "failed", "canceled",
                                              "terminated", "timed-out", "continued-as-new"));
  EXPECT_EQ(*ParseStatusFlag("running"), api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  EXPECT_EQ(*ParseStatusFlag("completed"), api::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  EXPECT_EQ(*ParseStatusFlag("failed"), api::v1::WORKFLOW_EXECUTION_STATUS_FAILED);
  EXPECT_EQ(*ParseStatusFlag("canceled"), api::v1::WORKFLOW_EXECUTION_STATUS_CANCELED);
  EXPECT_EQ(*ParseStatusFlag("terminated"), api::v1::WORKFLOW_EXECUTION_STATUS_TERMINATED);
  EXPECT_EQ(*ParseStatusFlag("timed-out"), api::v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT);
  EXPECT_EQ(*ParseStatusFlag("continued-as-new"),
            api::v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW);
}

TEST(StatusNamesTest, UnknownFlagListsChoices) {
  absl::Status s = ParseStatusFlag("Running").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("\"Running\""));
  EXPECT_THAT(s.message(),
              HasSubstr("running, completed, failed, canceled, terminated, timed-out"));
}

TEST(StatusNamesTest, DisplayNames) {
  EXPECT_EQ(StatusDisplayName(api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING), "Running");
  EXPECT_EQ(StatusDisplayName(api::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED), "Completed");
  EXPECT_EQ(StatusDisplayName(api::v1::WORKFLOW_EXECUTION_STATUS_FAILED), "Failed");
  EXPECT_EQ(StatusDisplayName(api::v1::WORKFLOW_EXECUTION_STATUS_CANCELED), "Canceled");
  EXPECT_EQ(StatusDisplayName(api::v1::WORKFLOW_EXECUTION_STATUS_TERMINATED), "Terminated");
  EXPECT_EQ(StatusDisplayName(api::v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT), "TimedOut");
  EXPECT_EQ(StatusDisplayName(api::v1::WORKFLOW_EXECUTION_STATUS_UNSPECIFIED), "Unspecified");
  EXPECT_EQ(StatusDisplayName(api::v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW),
            "ContinuedAsNew");
  // A value this binary does not know (added to the proto later).
  EXPECT_EQ(StatusDisplayName(static_cast<api::v1::WorkflowExecutionStatus>(42)), "Unknown(42)");
}

TEST(IdReusePolicyTest, FlagValues) {
  EXPECT_EQ(*ParseIdReusePolicyFlag("allow-duplicate"),
            api::v1::WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE);
  EXPECT_EQ(*ParseIdReusePolicyFlag("allow-duplicate-failed-only"),
            api::v1::WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY);
  EXPECT_EQ(*ParseIdReusePolicyFlag("reject-duplicate"),
            api::v1::WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE);
  EXPECT_EQ(*ParseIdReusePolicyFlag("terminate-if-running"),
            api::v1::WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING);
  EXPECT_THAT(ParseIdReusePolicyFlag("reject").status().message(), HasSubstr("--id-reuse-policy"));
}

TEST(EnumNamesTest, EventTypesArePascalCase) {
  EXPECT_EQ(EventTypeName(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
            "WorkflowExecutionStarted");
  EXPECT_EQ(EventTypeName(api::v1::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED),
            "ActivityTaskCancelRequested");
  EXPECT_EQ(EventTypeName(api::v1::EVENT_TYPE_TIMER_FIRED), "TimerFired");
  EXPECT_EQ(EventTypeName(static_cast<api::v1::EventType>(99)), "Unknown(99)");
}

TEST(EnumNamesTest, OtherEnumsAreShortUpperCase) {
  EXPECT_EQ(TimeoutTypeName(api::v1::TIMEOUT_TYPE_START_TO_CLOSE), "START_TO_CLOSE");
  EXPECT_EQ(RetryStateName(api::v1::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED),
            "MAXIMUM_ATTEMPTS_REACHED");
  EXPECT_EQ(
      WorkflowTaskFailedCauseName(api::v1::WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR),
      "NON_DETERMINISTIC_ERROR");
  EXPECT_EQ(RetryStateName(static_cast<api::v1::RetryState>(6)), "UNKNOWN(6)");
}

}  // namespace
}  // namespace weft::cli
