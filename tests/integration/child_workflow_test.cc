// Child workflows, parent-close policies, SignalExternal and RequestCancelExternal through the
// worker SDK against a real server in-process (real RocksDB, real gRPC on a port the OS
// picked). Every wait is a long poll on a run's result with a deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "server/app/weft_server.h"
#include "tests/support/in_process_server.h"
#include "tests/support/temp_dir.h"
#include "weft/client.h"
#include "weft/worker.h"
#include "weft/workflow.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

weft::Workflow<int> Square(weft::WorkflowContext& ctx, int n) { co_return n* n; }

weft::Workflow<int> Broken(weft::WorkflowContext& ctx) {
  throw weft::ApplicationError("child broke", "ChildBroke", /*non_retryable=*/true);
  co_return 0;
}

// Waits on a long timer: a cancel request closes it canceled.
weft::Workflow<std::string> Sleeper(weft::WorkflowContext& ctx) {
  co_await ctx.Sleep(1h);
  co_return "woke";
}

// Waits for signal `ping` and returns its payload.
weft::Workflow<std::string> Receiver(weft::WorkflowContext& ctx) {
  co_return co_await ctx.GetSignalChannel("ping").Receive<std::string>();
}

weft::ParentClosePolicy Policy(const std::string& name) {
  if (name == "abandon") return weft::ParentClosePolicy::kAbandon;
  if (name == "cancel") return weft::ParentClosePolicy::kRequestCancel;
  return weft::ParentClosePolicy::kTerminate;
}

// {"type": T, "id": ID, "arg": A?, "cancel": bool}: runs one child and reports its outcome.
weft::Workflow<std::string> Parent(weft::WorkflowContext& ctx, json spec) {
  const std::string type = spec.value("type", "Square");
  const std::string id = spec.value("id", "");
  auto child = spec.contains("arg")
                   ? ctx.StartChildWorkflow<json>(type, {.workflow_id = id}, spec["arg"])
                   : ctx.StartChildWorkflow<json>(type, {.workflow_id = id});
  if (spec.value("cancel", false)) {
    co_await child.Started();
    child.Cancel();
  }
  try {
    json result = co_await child;
    co_return "completed:" + result.dump();
  } catch (const weft::ChildWorkflowCanceledError&) {
    co_return "canceled";
  } catch (const weft::ChildWorkflowError& e) {
    co_return "error:" + e.type() + ":" + e.what();
  }
}

// Starts Sleeper children "<base>-<policy>" for each policy and returns once all run.
weft::Workflow<std::string> Leaver(weft::WorkflowContext& ctx, std::string base) {
  std::vector<weft::ChildWorkflowFuture<std::string>> children;
  for (const char* policy : {"terminate", "cancel", "abandon"}) {
    std::string id = base + "-" + policy;
    children.push_back(ctx.StartChildWorkflow<std::string>(
        "Sleeper", {.workflow_id = id, .parent_close_policy = Policy(policy)}));
  }
  for (auto& child : children) co_await child.Started();
  co_return "left";
}

// Signals `target` (signal ping with "hello"), then asks `cancel_target` to cancel.
weft::Workflow<std::string> Messenger(weft::WorkflowContext& ctx, json spec) {
  std::string out;
  try {
    co_await ctx.SignalExternalWorkflow(spec["target"].get<std::string>(), "", "ping",
                                        std::string("hello"));
    out = "signaled";
  } catch (const weft::ExternalWorkflowError&) {
    out = "signal failed";
  }
  try {
    co_await ctx.RequestCancelExternalWorkflow(spec["cancel_target"].get<std::string>());
    out += ",cancel requested";
  } catch (const weft::ExternalWorkflowError&) {
    out += ",cancel failed";
  }
  co_return out;
}

class ChildWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = weft::testing::StartDevServer(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    auto client = weft::testing::ConnectClient(*server_);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
    worker_ = std::make_unique<weft::Worker>(*client_, weft::WorkerOptions{.task_queue = "kids"});
    worker_->RegisterWorkflow("Square", Square);
    worker_->RegisterWorkflow("Broken", Broken);
    worker_->RegisterWorkflow("Sleeper", Sleeper);
    worker_->RegisterWorkflow("Receiver", Receiver);
    worker_->RegisterWorkflow("Parent", Parent);
    worker_->RegisterWorkflow("Leaver", Leaver);
    worker_->RegisterWorkflow("Messenger", Messenger);
    ASSERT_TRUE(worker_->Start().ok());
  }
  void TearDown() override {
    if (worker_) worker_->Shutdown();
    worker_.reset();
    client_.reset();
    if (server_) server_->Shutdown();
  }

  std::string RunParent(const std::string& id, const json& spec) {
    auto run = client_->StartWorkflow("Parent", {.id = id, .task_queue = "kids"}, spec);
    EXPECT_TRUE(run.ok()) << run.status();
    auto result = client_->GetResult<std::string>(id, "", 30s);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : "";
  }

  // Waits until the child's run is running (started by its parent), up to 30 s.
  bool WaitRunning(const std::string& id) {
    for (auto deadline = std::chrono::steady_clock::now() + 30s;
         std::chrono::steady_clock::now() < deadline;) {
      auto d = client_->Describe(id);
      if (d.ok()) return true;
      // Not created yet: wait on the parent's progress instead of spinning hot.
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  weft::testing::TempDir dir_;
  std::unique_ptr<weft::app::WeftServer> server_;
  std::unique_ptr<weft::Client> client_;
  std::unique_ptr<weft::Worker> worker_;
};

TEST_F(ChildWorkflowTest, ParentGetsTheChildsResult) {
  EXPECT_EQ(RunParent("p-ok", {{"type", "Square"}, {"id", "sq-7"}, {"arg", 7}}), "completed:49");
  // The child is a workflow of its own, with its parent recorded.
  auto d = client_->Describe("sq-7");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->workflow_execution_info().parent_execution().workflow_id(), "p-ok");
  EXPECT_EQ(d->workflow_execution_info().status(),
            weft::api::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
}

TEST_F(ChildWorkflowTest, ParentSeesAChildFailure) {
  std::string r = RunParent("p-fail", {{"type", "Broken"}, {"id", "broken-1"}});
  EXPECT_EQ(r.rfind("error:ChildBroke:", 0), 0u) << r;
  EXPECT_NE(r.find("child broke"), std::string::npos) << r;
}

TEST_F(ChildWorkflowTest, ParentCancelsItsChild) {
  EXPECT_EQ(RunParent("p-cancel", {{"type", "Sleeper"}, {"id", "sleeper-1"}, {"cancel", true}}),
            "canceled");
  auto child = client_->GetResult<std::string>("sleeper-1", "", 10s);
  EXPECT_TRUE(absl::IsCancelled(child.status())) << child.status();
}

TEST_F(ChildWorkflowTest, ParentSeesATerminatedChild) {
  auto run = client_->StartWorkflow("Parent", {.id = "p-term", .task_queue = "kids"},
                                    json{{"type", "Sleeper"}, {"id", "sleeper-term"}});
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE(WaitRunning("sleeper-term"));
  ASSERT_TRUE(client_->Terminate("sleeper-term", "", "ops stopped it").ok());
  auto result = client_->GetResult<std::string>("p-term", "", 30s);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->rfind("error:TerminatedError:", 0), 0u) << *result;
}

TEST_F(ChildWorkflowTest, ChildIdInUseFailsTheChildsStart) {
  // A child id already running: StartChildWorkflowExecutionFailed reaches the parent.
  auto busy = client_->StartWorkflow("Sleeper", {.id = "taken", .task_queue = "kids"});
  ASSERT_TRUE(busy.ok()) << busy.status();
  std::string r = RunParent("p-dup", {{"type", "Square"}, {"id", "taken"}, {"arg", 2}});
  EXPECT_EQ(r.rfind("error:WorkflowAlreadyExists:", 0), 0u) << r;
}

TEST_F(ChildWorkflowTest, ParentClosePoliciesApplyWhenTheParentCompletes) {
  auto run =
      client_->StartWorkflow("Leaver", {.id = "leaver", .task_queue = "kids"}, std::string("kid"));
  ASSERT_TRUE(run.ok()) << run.status();
  auto left = client_->GetResult<std::string>("leaver", "", 30s);
  ASSERT_TRUE(left.ok()) << left.status();
  // TERMINATE: the child is terminated, with the reason naming the parent.
  auto t = client_->GetResultEvent("kid-terminate", "", 30s);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->event_type(), weft::api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  EXPECT_NE(t->workflow_execution_terminated_event_attributes().reason().find("leaver"),
            std::string::npos);
  // REQUEST_CANCEL: the child got a cancel request and closed canceled.
  auto c = client_->GetResultEvent("kid-cancel", "", 30s);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->event_type(), weft::api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
  // ABANDON: still running, on its own (the policies above were applied by the same task).
  auto a = client_->Describe("kid-abandon");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->workflow_execution_info().status(),
            weft::api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
}

TEST_F(ChildWorkflowTest, SignalExternalAndCancelExternalReachTheirTargets) {
  ASSERT_TRUE(client_->StartWorkflow("Receiver", {.id = "rx", .task_queue = "kids"}).ok());
  ASSERT_TRUE(client_->StartWorkflow("Sleeper", {.id = "victim", .task_queue = "kids"}).ok());
  auto run = client_->StartWorkflow("Messenger", {.id = "msg", .task_queue = "kids"},
                                    json{{"target", "rx"}, {"cancel_target", "victim"}});
  ASSERT_TRUE(run.ok()) << run.status();
  auto r = client_->GetResult<std::string>("msg", "", 30s);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "signaled,cancel requested");
  auto rx = client_->GetResult<std::string>("rx", "", 30s);
  ASSERT_TRUE(rx.ok()) << rx.status();
  EXPECT_EQ(*rx, "hello");
  auto victim = client_->GetResult<std::string>("victim", "", 30s);
  EXPECT_TRUE(absl::IsCancelled(victim.status())) << victim.status();
}

TEST_F(ChildWorkflowTest, SignalExternalAndCancelExternalToAMissingTargetFail) {
  auto run = client_->StartWorkflow("Messenger", {.id = "msg-2", .task_queue = "kids"},
                                    json{{"target", "nobody"}, {"cancel_target", "nobody"}});
  ASSERT_TRUE(run.ok()) << run.status();
  auto r = client_->GetResult<std::string>("msg-2", "", 30s);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "signal failed,cancel failed");
}

}  // namespace
