// W3C trace context through the SDK against a real server in-process (real RocksDB, real gRPC
// on a port the OS picked): the trace a weft::Client start is sent with reaches the workflow
// and activity contexts (ctx.trace_id(), ctx.traceparent()), the run's events and
// WorkflowRun::trace_id; a caller that already traces passes its own trace on.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "server/app/weft_server.h"
#include "telemetry/scoped_trace.h"
#include "tests/support/in_process_server.h"
#include "tests/support/temp_dir.h"
#include "weft/client.h"
#include "weft/worker.h"
#include "weft/workflow.h"

namespace {

using weft::telemetry::ScopedTrace;
using weft::telemetry::TraceParent;

constexpr char kTraceId[] = "0af7651916cd43dd8448eb211c80319c";
constexpr char kTraceparent[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

std::string TraceIdOf(const std::string& traceparent) {
  auto p = TraceParent::Parse(traceparent);
  return p ? p->TraceIdHex() : "";
}

// What the activity's code sees of its trace.
std::string ActivityTrace(weft::ActivityContext& ctx, int) {
  return ctx.traceparent() + " " + ctx.trace_id();
}

// "<workflow trace id>|<activity traceparent> <activity trace id>"
weft::Workflow<std::string> Traced(weft::WorkflowContext& ctx) {
  std::string mine = ctx.trace_id();
  std::string activity = co_await ctx.ExecuteActivity<std::string>(
      "ActivityTrace", {.start_to_close = std::chrono::seconds(10)}, 1);
  co_return mine + "|" + activity;
}

weft::Workflow<std::string> WaitForGo(weft::WorkflowContext& ctx) {
  co_return co_await ctx.GetSignalChannel("go").Receive<std::string>();
}

class TraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = weft::testing::StartDevServer(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    auto client = weft::testing::ConnectClient(*server_);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
    worker_ = std::make_unique<weft::Worker>(*client_, weft::WorkerOptions{.task_queue = "trace"});
    worker_->RegisterWorkflow("Traced", Traced);
    worker_->RegisterWorkflow("WaitForGo", WaitForGo);
    worker_->RegisterActivity("ActivityTrace", ActivityTrace);
    ASSERT_TRUE(worker_->Start().ok());
  }
  void TearDown() override {
    if (worker_) worker_->Shutdown();
    worker_.reset();
    client_.reset();
    if (server_) server_->Shutdown();
  }

  // The trace id on the first event of `type` in the run's history ("" if none).
  std::string EventTraceId(const std::string& workflow_id, weft::api::v1::EventType type) {
    weft::api::v1::GetWorkflowExecutionHistoryRequest req;
    req.set_namespace_(client_->ns());
    req.mutable_execution()->set_workflow_id(workflow_id);
    weft::api::v1::GetWorkflowExecutionHistoryResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = client_->stub().GetWorkflowExecutionHistory(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const auto& e : resp.history().events()) {
      if (e.event_type() == type) return TraceIdOf(e.trace_context().traceparent());
    }
    return "";
  }

  weft::testing::TempDir dir_;
  std::unique_ptr<weft::app::WeftServer> server_;
  std::unique_ptr<weft::Client> client_;
  std::unique_ptr<weft::Worker> worker_;
};

TEST_F(TraceTest, TheStartsTraceReachesWorkflowAndActivityCode) {
  auto run = client_->StartWorkflow(
      "Traced", {.id = "traced", .task_queue = "trace", .traceparent = kTraceparent});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->trace_id, kTraceId);
  auto result = client_->GetResult<std::string>("traced", "", std::chrono::seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  const std::string expected_prefix = std::string(kTraceId) + "|00-" + kTraceId + "-";
  EXPECT_EQ(result->rfind(expected_prefix, 0), 0u) << *result;
  // The activity runs in a span of its own (not the caller's), and knows its trace id.
  EXPECT_EQ(result->find(kTraceparent), std::string::npos) << *result;
  EXPECT_EQ(result->substr(result->size() - 32), kTraceId) << *result;
  EXPECT_EQ(EventTraceId("traced", weft::api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED), kTraceId);
  EXPECT_EQ(EventTraceId("traced", weft::api::v1::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), kTraceId);
}

TEST_F(TraceTest, ACallerThatTracesPassesItsOwnTraceOn) {
  const TraceParent service_span = TraceParent::NewRoot();
  std::string trace_id;
  {
    ScopedTrace scope(service_span);
    // The thread's trace wins over a given one.
    auto run = client_->StartWorkflow(
        "WaitForGo", {.id = "waiting", .task_queue = "trace", .traceparent = kTraceparent});
    ASSERT_TRUE(run.ok()) << run.status();
    trace_id = run->trace_id;
  }
  EXPECT_EQ(trace_id, service_span.TraceIdHex());
  EXPECT_EQ(EventTraceId("waiting", weft::api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
            service_span.TraceIdHex());

  const TraceParent signal_span = TraceParent::NewRoot();
  {
    ScopedTrace scope(signal_span);
    ASSERT_TRUE(client_->Signal("waiting", "", "go", std::string("now")).ok());
  }
  auto result = client_->GetResult<std::string>("waiting", "", std::chrono::seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(EventTraceId("waiting", weft::api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
            signal_span.TraceIdHex());
}

TEST_F(TraceTest, AMalformedTraceparentIsRefusedBeforeAnythingIsSent) {
  auto run = client_->StartWorkflow(
      "Traced", {.id = "bad", .task_queue = "trace", .traceparent = "00-not-a-trace"});
  ASSERT_FALSE(run.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(run.status())) << run.status();
  EXPECT_NE(std::string(run.status().message()).find("not a W3C traceparent"), std::string::npos)
      << run.status();
  EXPECT_TRUE(absl::IsNotFound(client_->Describe("bad", "").status()));
}

}  // namespace
