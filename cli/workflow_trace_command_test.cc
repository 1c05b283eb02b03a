// `weft workflow trace` run in-process against a fake WorkflowService on a local port: it
// reads every history page of the run describe resolved, prints text or JSON, and reports
// an unknown workflow as NOT_FOUND with exit code 3.
#include <gmock/gmock.h>
#include <grpc/grpc.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

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

// Knows one run of "wf-1" ("run-7"): describe answers for it, and its history comes in two
// pages of two and one events.
class TraceFakeService final : public v1::WorkflowService::Service {
 public:
  grpc::Status DescribeWorkflowExecution(grpc::ServerContext*,
                                         const v1::DescribeWorkflowExecutionRequest* request,
                                         v1::DescribeWorkflowExecutionResponse* response) override {
    if (request->execution().workflow_id() != "wf-1") {
      return grpc::Status(
          grpc::StatusCode::NOT_FOUND,
          absl::StrCat("workflow \"", request->execution().workflow_id(),
                       "\" not found in namespace \"", request->namespace_(), "\""));
    }
    auto* info = response->mutable_workflow_execution_info();
    info->mutable_execution()->set_workflow_id("wf-1");
    info->mutable_execution()->set_run_id("run-7");
    info->mutable_type()->set_name("Greeting");
    info->set_task_queue("samples");
    info->set_status(v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
    info->mutable_start_time()->set_seconds(1'800'000'000);
    info->mutable_close_time()->set_seconds(1'800'000'002);
    return grpc::Status::OK;
  }

  grpc::Status GetWorkflowExecutionHistory(
      grpc::ServerContext*, const v1::GetWorkflowExecutionHistoryRequest* request,
      v1::GetWorkflowExecutionHistoryResponse* response) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      history_requests_.push_back(*request);
    }
    auto add = [&](int64_t id, v1::EventType type, int64_t ms) {
      v1::HistoryEvent* e = response->mutable_history()->add_events();
      e->set_event_id(id);
      e->set_event_type(type);
      e->mutable_event_time()->set_seconds(1'800'000'000 + ms / 1000);
      e->mutable_event_time()->set_nanos(static_cast<int32_t>(ms % 1000) * 1'000'000);
      return e;
    };
    if (request->next_page_token().empty()) {
      add(1, v1::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 0);
      add(2, v1::EVENT_TYPE_TIMER_STARTED, 0)
          ->mutable_timer_started_event_attributes()
          ->set_timer_id("nap");
      response->set_next_page_token("page-2");
    } else {
      add(3, v1::EVENT_TYPE_TIMER_FIRED, 2000)
          ->mutable_timer_fired_event_attributes()
          ->set_started_event_id(2);
      add(4, v1::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 2000);
    }
    return grpc::Status::OK;
  }

  std::vector<v1::GetWorkflowExecutionHistoryRequest> history_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return history_requests_;
  }

 private:
  std::mutex mu_;
  std::vector<v1::GetWorkflowExecutionHistoryRequest> history_requests_;
};

class WorkflowTraceCommandTest : public ::testing::Test {
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
  void TearDown() override { server_->Shutdown(std::chrono::system_clock::now()); }

  struct CliRun {
    int exit_code;
    std::string out, err;
  };
  CliRun Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"weft", "--address", address_});
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::ostringstream out, err;
    int code = RunCli(static_cast<int>(argv.size()), argv.data(), out, err);
    return {code, out.str(), err.str()};
  }

  TraceFakeService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

TEST_F(WorkflowTraceCommandTest, ReadsEveryPageOfTheDescribedRun) {
  CliRun run = Run({"workflow", "trace", "--workflow-id", "wf-1"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_THAT(run.out, HasSubstr("Run ID:       run-7\n"));
  EXPECT_THAT(run.out, HasSubstr("Status:       Completed\n"));
  EXPECT_THAT(run.out, HasSubstr("Duration:     2.000s\n"));
  EXPECT_THAT(run.out, HasSubstr("+0.000s    2.000s  timer nap  fired"));
  EXPECT_THAT(run.out, HasSubstr("+2.000s         -  close      completed"));
  auto requests = service_.history_requests();
  ASSERT_EQ(requests.size(), 2u);
  // The run describe resolved, for both pages.
  EXPECT_EQ(requests[0].execution().run_id(), "run-7");
  EXPECT_EQ(requests[1].execution().run_id(), "run-7");
  EXPECT_EQ(requests[1].next_page_token(), "page-2");
  EXPECT_EQ(requests[0].namespace_(), "default");
}

TEST_F(WorkflowTraceCommandTest, JsonOutputIsOneObject) {
  CliRun run = Run({"workflow", "trace", "-w", "wf-1", "-o", "json", "-n", "prod"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  const nlohmann::json j = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(j.is_object()) << run.out;
  EXPECT_EQ(j["workflow_id"], "wf-1");
  EXPECT_EQ(j["run_id"], "run-7");
  EXPECT_EQ(j["workflow_type"], "Greeting");
  EXPECT_EQ(j["duration_ms"], 2000);
  ASSERT_EQ(j["steps"].size(), 2u);
  EXPECT_EQ(j["steps"][0]["kind"], "timer");
  EXPECT_EQ(j["steps"][0]["duration_ms"], 2000);
  EXPECT_EQ(j["steps"][0]["event_ids"], nlohmann::json::parse("[2,3]"));
  EXPECT_EQ(j["steps"][1]["kind"], "close");
  EXPECT_EQ(service_.history_requests().at(0).namespace_(), "prod");
}

TEST_F(WorkflowTraceCommandTest, UnknownWorkflowIsNotFound) {
  CliRun run = Run({"workflow", "trace", "--workflow-id", "nope"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "weft: workflow \"nope\" not found in namespace \"default\" (NOT_FOUND)\n");
  EXPECT_TRUE(service_.history_requests().empty());
}

TEST_F(WorkflowTraceCommandTest, WorkflowIdIsRequired) {
  CliRun run = Run({"workflow", "trace"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("--workflow-id is required"));
}

}  // namespace
}  // namespace weft::cli
