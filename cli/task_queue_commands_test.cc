// `weft task-queue describe` and `weft workflow start --priority`, run in-process against a
// fake WorkflowService on a local port: what the user sees and what the server receives.
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
#include "weft/api/v1/workflow_service.grpc.pb.h"

namespace weft::cli {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::weft::api::v1;

class FakeService final : public v1::WorkflowService::Service {
 public:
  grpc::Status DescribeTaskQueue(grpc::ServerContext*, const v1::DescribeTaskQueueRequest* req,
                                 v1::DescribeTaskQueueResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu);
    describe_requests.push_back(*req);
    *resp = describe_answer;
    return describe_status;
  }
  grpc::Status StartWorkflowExecution(grpc::ServerContext*,
                                      const v1::StartWorkflowExecutionRequest* req,
                                      v1::StartWorkflowExecutionResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu);
    start_requests.push_back(*req);
    resp->set_run_id("run-1");
    return grpc::Status::OK;
  }

  std::mutex mu;
  v1::DescribeTaskQueueResponse describe_answer;
  grpc::Status describe_status = grpc::Status::OK;
  std::vector<v1::DescribeTaskQueueRequest> describe_requests;
  std::vector<v1::StartWorkflowExecutionRequest> start_requests;
};

struct CliRun {
  int exit_code;
  std::string out;
  std::string err;
};

class TaskQueueCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("WEFT_ADDRESS");
    unsetenv("WEFT_NAMESPACE");
    grpc::ServerBuilder builder;
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
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

  FakeService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

TEST_F(TaskQueueCommandsTest, DescribePrintsRateBacklogByPriorityAndPollers) {
  auto* status = service_.describe_answer.mutable_task_queue_status();
  status->set_backlog_count_hint(5);
  status->set_rate_per_second(2.5);
  status->set_tasks_dispatched(17);
  (*status->mutable_backlog_by_priority())[5] = 1;
  (*status->mutable_backlog_by_priority())[1] = 4;
  auto* p = service_.describe_answer.add_pollers();
  p->set_identity("4242@worker-a");
  p->mutable_last_access_time()->set_seconds(1'767'225'600);  // 2026-01-01T00:00:00Z
  p->set_rate_per_second(2.5);
  service_.describe_answer.add_pollers()->set_identity("7@worker-b");

  CliRun run = Run({"task-queue", "describe", "--task-queue", "payments", "--type", "activity",
                    "-n", "billing"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("Task queue: payments (activity)\n"));
  EXPECT_THAT(run.out, HasSubstr("Rate limit: 2.5/s (the lowest any poller asks for)\n"));
  EXPECT_THAT(run.out, HasSubstr("Dispatched: 17 since the server started\n"));
  EXPECT_THAT(run.out, HasSubstr("Backlog:    5 (priority 1: 4, priority 5: 1)\n"));
  EXPECT_THAT(run.out, HasSubstr("Pollers:    2\n"));
  EXPECT_THAT(run.out, HasSubstr("4242@worker-a"));
  EXPECT_THAT(run.out, HasSubstr("2026-01-01T00:00:00.000Z"));
  EXPECT_THAT(run.out, HasSubstr("7@worker-b"));
  ASSERT_EQ(service_.describe_requests.size(), 1u);
  EXPECT_EQ(service_.describe_requests[0].namespace_(), "billing");
  EXPECT_EQ(service_.describe_requests[0].task_queue().name(), "payments");
  EXPECT_EQ(service_.describe_requests[0].task_queue_type(), v1::TASK_QUEUE_TYPE_ACTIVITY);
}

TEST_F(TaskQueueCommandsTest, DescribeOfAQueueNobodyPollsSaysSoAndJsonKeepsTheFields) {
  CliRun run = Run({"task-queue", "describe", "--task-queue", "idle"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("Task queue: idle (workflow)\n"));
  EXPECT_THAT(run.out, HasSubstr("Rate limit: none\n"));
  EXPECT_THAT(run.out, HasSubstr("Backlog:    0\n"));
  EXPECT_THAT(run.out, HasSubstr("Pollers:    none in the last 5 minutes\n"));
  ASSERT_EQ(service_.describe_requests.size(), 1u);
  EXPECT_EQ(service_.describe_requests[0].task_queue_type(), v1::TASK_QUEUE_TYPE_WORKFLOW);

  service_.describe_answer.add_pollers()->set_identity("w1");
  service_.describe_answer.mutable_task_queue_status()->set_rate_per_second(3);
  run = Run({"--output", "json", "task-queue", "describe", "--task-queue", "idle"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  auto j = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(j.is_object()) << run.out;
  EXPECT_EQ(j["pollers"][0]["identity"], "w1");
  EXPECT_EQ(j["task_queue_status"]["rate_per_second"], 3);
}

TEST_F(TaskQueueCommandsTest, DescribeUsageAndServerErrors) {
  CliRun run = Run({"task-queue", "describe"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("--task-queue"));
  run = Run({"task-queue", "describe", "--task-queue", "q", "--type", "sticky"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("--type"));
  EXPECT_TRUE(service_.describe_requests.empty());

  service_.describe_status =
      grpc::Status(grpc::StatusCode::NOT_FOUND, "namespace \"nope\" is not registered");
  run = Run({"task-queue", "describe", "--task-queue", "q", "-n", "nope"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("not registered"));
}

TEST_F(TaskQueueCommandsTest, StartSendsThePriorityAndRefusesOneOutOfRange) {
  CliRun run = Run({"workflow", "start", "--task-queue", "q", "--type", "T", "--priority", "1"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  run = Run({"workflow", "start", "--task-queue", "q", "--type", "T"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  ASSERT_EQ(service_.start_requests.size(), 2u);
  EXPECT_EQ(service_.start_requests[0].priority(), 1);
  EXPECT_EQ(service_.start_requests[1].priority(), 0);  // not given: the server's default

  for (const char* bad : {"0", "6", "high"}) {
    run = Run({"workflow", "start", "--task-queue", "q", "--type", "T", "--priority", bad});
    EXPECT_EQ(run.exit_code, kExitError) << bad;
    EXPECT_THAT(run.err, HasSubstr("--priority")) << bad;
  }
  EXPECT_EQ(service_.start_requests.size(), 2u);
}

}  // namespace
}  // namespace weft::cli
