// The worker SDK against a real server in-process (real RocksDB, real gRPC on a port the OS
// picked): the README's example, plus signals, cancel and a workflow failure seen through
// weft::Client.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "server/app/weft_server.h"
#include "tests/support/in_process_server.h"
#include "tests/support/temp_dir.h"
#include "weft/client.h"
#include "weft/worker.h"
#include "weft/workflow.h"

namespace {

// The README's example, as written there.
std::string ComposeGreeting(std::string name) { return "Hello, " + name + "!"; }

weft::Workflow<std::string> Greeting(weft::WorkflowContext& ctx, std::string name) {
  auto greeting = co_await ctx.ExecuteActivity<std::string>(
      "ComposeGreeting", {.start_to_close = std::chrono::seconds(10)}, name);
  co_await ctx.Sleep(std::chrono::milliseconds(100));
  co_return greeting;
}

weft::Workflow<std::string> WaitForApproval(weft::WorkflowContext& ctx) {
  auto by = co_await ctx.GetSignalChannel("approve").Receive<std::string>();
  co_return "approved by " + by;
}

int Boom(int) { throw weft::ApplicationError("no such account", "NotFound", true); }

weft::Workflow<int> Failing(weft::WorkflowContext& ctx) {
  co_return co_await ctx.ExecuteActivity<int>("Boom", {.start_to_close = std::chrono::seconds(5)},
                                              1);
}

class SdkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = weft::testing::StartDevServer(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    auto client = weft::testing::ConnectClient(*server_);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
    worker_ = std::make_unique<weft::Worker>(*client_, weft::WorkerOptions{.task_queue = "sdk"});
    worker_->RegisterWorkflow("Greeting", Greeting);
    worker_->RegisterActivity("ComposeGreeting", ComposeGreeting);
    worker_->RegisterWorkflow("WaitForApproval", WaitForApproval);
    worker_->RegisterWorkflow("Failing", Failing);
    worker_->RegisterActivity("Boom", Boom);
    ASSERT_TRUE(worker_->Start().ok());
  }
  void TearDown() override {
    if (worker_) worker_->Shutdown();
    worker_.reset();
    client_.reset();
    if (server_) server_->Shutdown();
  }

  weft::testing::TempDir dir_;
  std::unique_ptr<weft::app::WeftServer> server_;
  std::unique_ptr<weft::Client> client_;
  std::unique_ptr<weft::Worker> worker_;
};

TEST_F(SdkTest, ReadmeExampleRuns) {
  auto run = client_->StartWorkflow("Greeting", {.task_queue = "sdk"}, std::string("Ada"));
  ASSERT_TRUE(run.ok()) << run.status();
  auto result =
      client_->GetResult<std::string>(run->workflow_id, run->run_id, std::chrono::seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, "Hello, Ada!");
}

TEST_F(SdkTest, SignalReachesTheWorkflow) {
  auto run = client_->StartWorkflow("WaitForApproval", {.id = "approval-1", .task_queue = "sdk"});
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE(client_->Signal("approval-1", "", "approve", std::string("ops")).ok());
  auto result = client_->GetResult<std::string>("approval-1", "", std::chrono::seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, "approved by ops");
}

TEST_F(SdkTest, NonRetryableActivityFailureFailsTheWorkflow) {
  auto run = client_->StartWorkflow("Failing", {.id = "failing-1", .task_queue = "sdk"});
  ASSERT_TRUE(run.ok()) << run.status();
  auto result = client_->GetResult<int>("failing-1", "", std::chrono::seconds(30));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsAborted(result.status())) << result.status();
  EXPECT_NE(std::string(result.status().message()).find("no such account"), std::string::npos)
      << result.status();
}

TEST_F(SdkTest, TerminateIsReportedToTheCaller) {
  auto run = client_->StartWorkflow("WaitForApproval", {.id = "term-1", .task_queue = "sdk"});
  ASSERT_TRUE(run.ok());
  ASSERT_TRUE(client_->Terminate("term-1", "", "not needed").ok());
  auto result = client_->GetResult<std::string>("term-1", "", std::chrono::seconds(30));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(std::string(result.status().message()).find("not needed"), std::string::npos);
}

}  // namespace
