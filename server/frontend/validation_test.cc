#include "server/frontend/validation.h"

#include <gtest/gtest.h>

#include <limits>

#include "absl/strings/str_cat.h"

namespace weft::frontend {
namespace {

api::v1::StartWorkflowExecutionRequest GoodStart() {
  api::v1::StartWorkflowExecutionRequest r;
  r.set_namespace_("default");
  r.set_workflow_id("wf-1");
  r.mutable_workflow_type()->set_name("Greeting");
  r.mutable_task_queue()->set_name("q");
  return r;
}

TEST(ValidationTest, AcceptsAGoodStart) { EXPECT_TRUE(ValidateStart(GoodStart()).ok()); }

TEST(ValidationTest, NamesTheMissingField) {
  auto r = GoodStart();
  r.clear_workflow_id();
  absl::Status s = ValidateStart(r);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(s.message(), "workflow_id is required");
  r = GoodStart();
  r.mutable_task_queue()->clear_name();
  EXPECT_EQ(ValidateStart(r).message(), "task_queue.name is required");
}

TEST(ValidationTest, RejectsOversizePayloads) {
  auto r = GoodStart();
  r.mutable_input()->add_payloads()->set_data(std::string(kMaxPayloadBytes + 1, 'x'));
  absl::Status s = ValidateStart(r);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(s.message().find("2 MB"), absl::string_view::npos) << s;
}

TEST(ValidationTest, RejectsUnknownEnumValues) {
  auto r = GoodStart();
  r.set_workflow_id_reuse_policy(static_cast<api::v1::WorkflowIdReusePolicy>(42));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateStart(r)));
  api::v1::RespondWorkflowTaskCompletedRequest c;
  c.add_commands()->set_command_type(static_cast<api::v1::CommandType>(99));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateCommands(c)));
}

TEST(ValidationTest, RejectsNegativeDurationsAndBadIds) {
  auto r = GoodStart();
  r.mutable_workflow_run_timeout()->set_seconds(-1);
  EXPECT_EQ(ValidateStart(r).message(), "workflow_run_timeout must not be negative");
  EXPECT_FALSE(ValidateId(std::string(1001, 'a'), "workflow_id").ok());
  EXPECT_FALSE(ValidateId("a\nb", "workflow_id").ok());
  EXPECT_TRUE(ValidateId("", "request_id", false).ok());
}

TEST(ValidationTest, CircuitBreakerConfigSaysWhichFieldIsWrong) {
  api::v1::CircuitBreakerConfig c;
  EXPECT_TRUE(ValidateCircuitBreakerConfig(c).ok());  // all defaults
  c.set_enabled(true);
  c.set_failure_rate_threshold(0.3);
  c.set_minimum_attempts(5);
  c.set_half_open_probes(2);
  c.mutable_open_duration()->set_seconds(10);
  EXPECT_TRUE(ValidateCircuitBreakerConfig(c).ok());
  auto message = [](const api::v1::CircuitBreakerConfig& bad) {
    absl::Status s = ValidateCircuitBreakerConfig(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    return std::string(s.message());
  };
  auto bad = c;
  bad.set_failure_rate_threshold(1.5);
  EXPECT_NE(message(bad).find("failure_rate_threshold"), std::string::npos);
  bad = c;
  bad.set_failure_rate_threshold(std::numeric_limits<double>::quiet_NaN());
  EXPECT_NE(message(bad).find("failure_rate_threshold"), std::string::npos);
  bad = c;
  bad.set_minimum_attempts(-1);
  EXPECT_NE(message(bad).find("minimum_attempts"), std::string::npos);
  bad = c;
  bad.set_half_open_probes(-3);
  EXPECT_NE(message(bad).find("half_open_probes"), std::string::npos);
  bad = c;
  bad.mutable_window()->set_seconds(-5);
  EXPECT_NE(message(bad).find("circuit_breaker_config.window"), std::string::npos);
}

TEST(ValidationTest, PriorityIsOneToFiveOrUnset) {
  auto r = GoodStart();
  for (int p : {0, 1, 3, 5}) {
    r.set_priority(p);
    EXPECT_TRUE(ValidateStart(r).ok()) << p;
  }
  for (int p : {-1, 6, 100}) {
    r.set_priority(p);
    absl::Status s = ValidateStart(r);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << p;
    EXPECT_EQ(s.message(), absl::StrCat("priority ", p,
                                        " is out of range: use 1 (highest) to 5, or 0 for the "
                                        "default (3)"));
  }
}

TEST(ValidationTest, RatePerSecondIsFiniteAndNotNegative) {
  EXPECT_TRUE(ValidateRatePerSecond(0, "max_tasks_per_second").ok());
  EXPECT_TRUE(ValidateRatePerSecond(0.25, "max_tasks_per_second").ok());
  for (double bad :
       {-1.0, std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
    absl::Status s = ValidateRatePerSecond(bad, "max_tasks_per_second");
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad;
    EXPECT_NE(s.message().find("max_tasks_per_second must be a finite number >= 0"),
              std::string::npos)
        << s;
  }
}

}  // namespace
}  // namespace weft::frontend
