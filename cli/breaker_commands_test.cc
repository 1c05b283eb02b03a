// `weft breaker ...` and `weft namespace update`, run in-process against fake WorkflowService
// and AdminService on a local port: what the user sees and what the server receives.
#include <gmock/gmock.h>
#include <grpc/grpc.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/cli_app.h"
#include "cli/exit_codes.h"
#include "weft/api/v1/admin_service.grpc.pb.h"
#include "weft/api/v1/workflow_service.grpc.pb.h"

namespace weft::cli {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::weft::api::v1;

class FakeAdmin final : public v1::AdminService::Service {
 public:
  grpc::Status ListCircuitBreakers(grpc::ServerContext*, const v1::ListCircuitBreakersRequest* req,
                                   v1::ListCircuitBreakersResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu);
    list_requests.push_back(*req);
    *resp = list_answer;
    return grpc::Status::OK;
  }
  grpc::Status DescribeCircuitBreaker(grpc::ServerContext*,
                                      const v1::DescribeCircuitBreakerRequest* req,
                                      v1::DescribeCircuitBreakerResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu);
    describe_requests.push_back(*req);
    *resp = describe_answer;
    return describe_status;
  }
  grpc::Status SetCircuitBreakerOverride(grpc::ServerContext*,
                                         const v1::SetCircuitBreakerOverrideRequest* req,
                                         v1::SetCircuitBreakerOverrideResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu);
    override_requests.push_back(*req);
    resp->mutable_breaker()->set_namespace_(req->namespace_());
    resp->mutable_breaker()->set_activity_type(req->activity_type());
    resp->mutable_breaker()->set_state(req->override() == v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN
                                           ? v1::CIRCUIT_BREAKER_STATE_OPEN
                                           : v1::CIRCUIT_BREAKER_STATE_CLOSED);
    return grpc::Status::OK;
  }

  std::mutex mu;
  v1::ListCircuitBreakersResponse list_answer;
  v1::DescribeCircuitBreakerResponse describe_answer;
  grpc::Status describe_status = grpc::Status::OK;
  std::vector<v1::ListCircuitBreakersRequest> list_requests;
  std::vector<v1::DescribeCircuitBreakerRequest> describe_requests;
  std::vector<v1::SetCircuitBreakerOverrideRequest> override_requests;
};

class FakeWorkflow final : public v1::WorkflowService::Service {
 public:
  grpc::Status DescribeNamespace(grpc::ServerContext*, const v1::DescribeNamespaceRequest* req,
                                 v1::DescribeNamespaceResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu);
    resp->mutable_namespace_info()->set_name(req->namespace_());
    *resp->mutable_namespace_info()->mutable_circuit_breaker_config() = current;
    return grpc::Status::OK;
  }
  grpc::Status UpdateNamespace(grpc::ServerContext*, const v1::UpdateNamespaceRequest* req,
                               v1::UpdateNamespaceResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu);
    update_requests.push_back(*req);
    resp->mutable_namespace_info()->set_name(req->namespace_());
    *resp->mutable_namespace_info()->mutable_circuit_breaker_config() =
        req->circuit_breaker_config();
    return grpc::Status::OK;
  }
  std::mutex mu;
  v1::CircuitBreakerConfig current;
  std::vector<v1::UpdateNamespaceRequest> update_requests;
};

struct CliRun {
  int exit_code;
  std::string out;
  std::string err;
};

class BreakerCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("WEFT_ADDRESS");
    unsetenv("WEFT_NAMESPACE");
    grpc::ServerBuilder builder;
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&admin_);
    builder.RegisterService(&workflow_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    address_ = absl::StrCat("127.0.0.1:", port);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  }
  CliRun Run(std::vector<std::string> args) {
    std::vector<std::string> full = {"weft", "--address", address_};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const std::string& a : full) argv.push_back(a.c_str());
    std::ostringstream out, err;
    int code = RunCli(static_cast<int>(argv.size()), argv.data(), out, err);
    return CliRun{code, out.str(), err.str()};
  }

  FakeAdmin admin_;
  FakeWorkflow workflow_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

TEST_F(BreakerCommandsTest, DescribeShowsStateWindowAndConfig) {
  auto* b = admin_.describe_answer.mutable_breaker();
  b->set_namespace_("payments");
  b->set_activity_type("Charge");
  b->set_state(v1::CIRCUIT_BREAKER_STATE_OPEN);
  b->set_window_failures(15);
  b->set_window_successes(5);
  b->set_failure_rate(0.75);
  b->set_held_attempts(7);
  b->set_times_opened(2);
  b->mutable_opened_time()->set_seconds(1'767'225'600);  // 2026-01-01T00:00:00Z
  auto* c = admin_.describe_answer.mutable_config();
  c->set_enabled(true);
  c->set_failure_rate_threshold(0.5);
  c->set_minimum_attempts(20);
  c->mutable_window()->set_seconds(60);
  c->mutable_open_duration()->set_seconds(30);
  c->set_half_open_probes(1);

  CliRun run = Run({"-n", "payments", "breaker", "describe", "--activity-type", "Charge"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("State:          OPEN\n"));
  EXPECT_THAT(run.out, HasSubstr("15 failed, 5 succeeded (failure rate 75.0%)"));
  EXPECT_THAT(run.out, HasSubstr("Held attempts:  7\n"));
  EXPECT_THAT(run.out, HasSubstr("Opened:         2026-01-01T00:00:00"));
  EXPECT_THAT(run.out, HasSubstr("opens at 50.0% failures of at least 20 attempts in 1m, open "
                                 "for 30s, 1 probe"));
  ASSERT_EQ(admin_.describe_requests.size(), 1u);
  EXPECT_EQ(admin_.describe_requests[0].namespace_(), "payments");
  EXPECT_EQ(admin_.describe_requests[0].activity_type(), "Charge");
  EXPECT_EQ(admin_.describe_requests[0].task_queue(), "");

  admin_.describe_status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "give --task-queue");
  run = Run({"breaker", "describe", "--activity-type", "Charge"});
  EXPECT_NE(run.exit_code, kExitOk);
  EXPECT_THAT(run.err, HasSubstr("give --task-queue"));
  run = Run({"breaker", "describe"});
  EXPECT_NE(run.exit_code, kExitOk);
  EXPECT_THAT(run.err, HasSubstr("--activity-type"));
}

TEST_F(BreakerCommandsTest, ListPrintsOneRowPerBreaker) {
  auto* b = admin_.list_answer.add_breakers();
  b->set_activity_type("Charge");
  b->set_task_queue("eu");
  b->set_state(v1::CIRCUIT_BREAKER_STATE_HALF_OPEN);
  b->set_override(v1::CIRCUIT_BREAKER_OVERRIDE_AUTO);
  b->set_held_attempts(3);
  CliRun run = Run({"-n", "payments", "breaker", "list"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("ACTIVITY TYPE"));
  EXPECT_THAT(run.out, HasSubstr("Charge"));
  EXPECT_THAT(run.out, HasSubstr("HALF_OPEN"));
  ASSERT_EQ(admin_.list_requests.size(), 1u);
  EXPECT_EQ(admin_.list_requests[0].namespace_(), "payments");
  run = Run({"--output", "json", "breaker", "list"});
  auto j = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << run.out;
  EXPECT_EQ(j["breakers"][0]["held_attempts"], "3");  // int64 is a string in proto JSON
}

TEST_F(BreakerCommandsTest, OverridesSendTheirValueQueueAndReason) {
  CliRun run = Run({"breaker", "force-open", "--activity-type", "Charge", "--task-queue", "eu",
                    "--reason", "bank maintenance"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("forced open, now OPEN"));
  run = Run({"breaker", "force-close", "--activity-type", "Charge"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  run = Run({"breaker", "auto", "--activity-type", "Charge"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("automatic again"));
  ASSERT_EQ(admin_.override_requests.size(), 3u);
  EXPECT_EQ(admin_.override_requests[0].override(), v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN);
  EXPECT_EQ(admin_.override_requests[0].task_queue(), "eu");
  EXPECT_EQ(admin_.override_requests[0].reason(), "bank maintenance");
  EXPECT_EQ(admin_.override_requests[0].namespace_(), "default");
  EXPECT_EQ(admin_.override_requests[1].override(), v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_CLOSED);
  EXPECT_EQ(admin_.override_requests[2].override(), v1::CIRCUIT_BREAKER_OVERRIDE_AUTO);
}

TEST_F(BreakerCommandsTest, NamespaceUpdateKeepsBreakerSettingsItWasNotGiven) {
  workflow_.current.set_enabled(false);
  workflow_.current.set_minimum_attempts(50);
  workflow_.current.set_half_open_probes(3);
  CliRun run = Run({"namespace", "update", "payments", "--retention", "5d", "--breaker-enabled",
                    "--breaker-failure-rate", "0.25", "--breaker-window", "2m",
                    "--breaker-open-duration", "10s", "--breaker-per-task-queue"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("Circuit breakers: on: opens at 25.0%"));
  ASSERT_EQ(workflow_.update_requests.size(), 1u);
  const auto& req = workflow_.update_requests[0];
  EXPECT_EQ(req.namespace_(), "payments");
  EXPECT_EQ(req.workflow_execution_retention_period().seconds(), 5 * 86400);
  EXPECT_FALSE(req.has_description());
  const auto& c = req.circuit_breaker_config();
  EXPECT_TRUE(c.enabled());
  EXPECT_DOUBLE_EQ(c.failure_rate_threshold(), 0.25);
  EXPECT_EQ(c.minimum_attempts(), 50);  // kept
  EXPECT_EQ(c.half_open_probes(), 3);   // kept
  EXPECT_EQ(c.window().seconds(), 120);
  EXPECT_EQ(c.open_duration().seconds(), 10);
  EXPECT_TRUE(c.per_task_queue());

  // Only the retention: the breaker config is left out (unchanged on the server).
  run = Run({"-n", "payments", "namespace", "update", "--retention", "1d"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  ASSERT_EQ(workflow_.update_requests.size(), 2u);
  EXPECT_FALSE(workflow_.update_requests[1].has_circuit_breaker_config());

  run = Run({"namespace", "update", "--breaker-enabled=false"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  ASSERT_EQ(workflow_.update_requests.size(), 3u);
  EXPECT_FALSE(workflow_.update_requests[2].circuit_breaker_config().enabled());

  run = Run({"namespace", "update", "payments"});
  EXPECT_NE(run.exit_code, kExitOk);
  EXPECT_THAT(run.err, HasSubstr("nothing to update"));
  run = Run({"namespace", "update", "--breaker-window", "soon"});
  EXPECT_NE(run.exit_code, kExitOk);
  EXPECT_THAT(run.err, HasSubstr("--breaker-window"));
  EXPECT_EQ(workflow_.update_requests.size(), 3u);
}

}  // namespace
}  // namespace weft::cli
