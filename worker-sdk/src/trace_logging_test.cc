// The SDK's trace context and logs: the replay-aware workflow logger, the activity's trace
// and logger, the traceparent a client call sends (checked on an in-process fake
// WorkflowService on a local port), and the log settings' errors.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "history_builder_for_test.h"
#include "replay_test_support.h"
#include "telemetry/log.h"
#include "telemetry/scoped_trace.h"
#include "trace_support.h"
#include "weft/activity.h"
#include "weft/client.h"
#include "weft/workflow.h"
#include "weft/workflow_definition.h"

namespace weft {
namespace {

namespace v1 = api::v1;
using telemetry::ScopedTrace;
using telemetry::TraceParent;
using testing::HistoryBuilder;

class CapturingSink : public telemetry::LogSink {
 public:
  void Write(absl::string_view line) override {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.emplace_back(line);
  }
  std::vector<std::string> Lines(absl::string_view containing) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& l : lines_) {
      if (absl::StrContains(l, containing)) out.push_back(l);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

// Sends the process's log lines to a CapturingSink for the test's lifetime.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<CapturingSink>()) {
    telemetry::LogRegistry::SetFormat(telemetry::LogFormat::kJson);
    telemetry::LogRegistry::SetSink(sink_);
  }
  ~LogCapture() { telemetry::LogRegistry::SetSink(nullptr); }
  CapturingSink& sink() { return *sink_; }

 private:
  std::shared_ptr<CapturingSink> sink_;
};

Workflow<std::string> LoggingGreet(WorkflowContext& ctx, std::string name) {
  ctx.logger().Info("greeting: before activity", {{"name", name}});
  auto greeting = co_await ctx.ExecuteActivity<std::string>(
      "ComposeGreeting", {.start_to_close = std::chrono::seconds(10)}, name);
  ctx.logger().Info("greeting: after activity", {{"trace", ctx.trace_id()}});
  co_return greeting;
}

const WorkflowDefinition& LoggingGreetDef() {
  static const WorkflowDefinition def =
      WorkflowDefinition::FromFunction("LoggingGreet", LoggingGreet);
  return def;
}

TEST(TraceLoggingTest, WorkflowLoggerWritesOnlyWhatIsNotReplayed) {
  LogCapture capture;
  // First task: the code runs for the first time; its line is written.
  HistoryBuilder first("LoggingGreet", ToPayloads(std::string("Ann")));
  first.StartTask();
  ReplayResult r = testing::Replay(LoggingGreetDef(), first);
  ASSERT_FALSE(r.task_failed) << r.message;
  EXPECT_EQ(capture.sink().Lines("greeting: before activity").size(), 1u);
  EXPECT_TRUE(capture.sink().Lines("greeting: after activity").empty());

  // Second task, from the whole history: the part before the activity is replayed (no
  // second "before" line); what follows the activity's result is new (one "after" line).
  HistoryBuilder second("LoggingGreet", ToPayloads(std::string("Ann")));
  int64_t wtc = second.CompleteTask();
  int64_t scheduled = second.ActivityScheduled(wtc, "1", "ComposeGreeting");
  second.ActivityCompleted(scheduled, ToPayload(std::string("Hello, Ann!")));
  second.StartTask();
  const TraceParent task_span = TraceParent::NewRoot();
  {
    ScopedTrace scope(task_span);
    r = testing::Replay(LoggingGreetDef(), second);
  }
  ASSERT_FALSE(r.task_failed) << r.message;
  EXPECT_EQ(capture.sink().Lines("greeting: before activity").size(), 1u);
  auto after = capture.sink().Lines("greeting: after activity");
  ASSERT_EQ(after.size(), 1u);
  // The line carries the task's span, and ctx.trace_id() is that span's trace.
  EXPECT_TRUE(absl::StrContains(after[0], absl::StrCat("\"trace_id\":\"", task_span.TraceIdHex())))
      << after[0];
  EXPECT_TRUE(absl::StrContains(after[0], absl::StrCat("\"trace\":\"", task_span.TraceIdHex())))
      << after[0];
  EXPECT_TRUE(absl::StrContains(after[0], "\"component\":\"worker\"")) << after[0];
}

TEST(TraceLoggingTest, ActivityContextHasTheTasksTraceAndLogsWithItsFields) {
  LogCapture capture;
  const TraceParent scheduled_by = TraceParent::NewRoot();
  v1::TraceContext task_trace;
  task_trace.set_traceparent(scheduled_by.ToString());
  detail::TaskScope scope(task_trace, {{"activity_id", "act-7"}, {"attempt", "2"}});
  // A new span of the task's trace.
  auto mine = TraceParent::Parse(scope.traceparent());
  ASSERT_TRUE(mine.has_value());
  EXPECT_EQ(mine->TraceIdHex(), scheduled_by.TraceIdHex());
  EXPECT_NE(mine->SpanIdHex(), scheduled_by.SpanIdHex());

  ActivityInfo info;
  info.activity_id = "act-7";
  info.traceparent = scope.traceparent();
  ActivityContext ctx(info, {}, [](const v1::Payloads&) { return false; });
  EXPECT_EQ(ctx.traceparent(), scope.traceparent());
  EXPECT_EQ(ctx.trace_id(), scheduled_by.TraceIdHex());
  ctx.logger().Info("charging card", {{"amount_cents", 1250}});
  auto lines = capture.sink().Lines("charging card");
  ASSERT_EQ(lines.size(), 1u);
  for (const std::string& want :
       {absl::StrCat("\"trace_id\":\"", scheduled_by.TraceIdHex(), "\""),
        absl::StrCat("\"span_id\":\"", mine->SpanIdHex(), "\""),
        std::string("\"activity_id\":\"act-7\""), std::string("\"attempt\":\"2\""),
        std::string("\"amount_cents\":1250")}) {
    EXPECT_TRUE(absl::StrContains(lines[0], want)) << want << " not in " << lines[0];
  }
}

TEST(TraceLoggingTest, TaskWithoutTraceContextGetsANewRoot) {
  detail::TaskScope scope(v1::TraceContext(), {});
  EXPECT_TRUE(TraceParent::Parse(scope.traceparent()).has_value());
}

TEST(TraceLoggingTest, OutgoingTraceparentPrefersTheCurrentTraceThenTheGivenOne) {
  const std::string given = TraceParent::NewRoot().ToString();
  auto none = detail::OutgoingTraceparent();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(TraceParent::Parse(*none).has_value());
  EXPECT_NE(*none, *detail::OutgoingTraceparent());  // a new root each time

  auto from_given = detail::OutgoingTraceparent(given);
  ASSERT_TRUE(from_given.ok());
  EXPECT_EQ(*from_given, given);

  auto bad = detail::OutgoingTraceparent("00-xyz");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "00-<32 lower-case hex trace id>"))
      << bad.status();

  const TraceParent current = TraceParent::NewRoot();
  ScopedTrace scope(current);
  EXPECT_EQ(*detail::OutgoingTraceparent(given), current.ToString());
}

TEST(TraceLoggingTest, BadLogSettingsAreInvalidArgument) {
  EXPECT_EQ(detail::ConfigureSdkLogging("", "xml", "").code(), absl::StatusCode::kInvalidArgument);
  absl::Status s = detail::ConfigureSdkLogging("loud", "", "");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "WEFT_LOG_LEVEL")) << s;
}

// ---- what the Client sends ----

class TraceRecordingService final : public v1::WorkflowService::Service {
 public:
  grpc::Status StartWorkflowExecution(grpc::ServerContext* ctx,
                                      const v1::StartWorkflowExecutionRequest*,
                                      v1::StartWorkflowExecutionResponse* resp) override {
    Record(ctx);
    resp->set_run_id("run-1");
    return grpc::Status::OK;
  }
  grpc::Status SignalWorkflowExecution(grpc::ServerContext* ctx,
                                       const v1::SignalWorkflowExecutionRequest*,
                                       v1::SignalWorkflowExecutionResponse*) override {
    Record(ctx);
    return grpc::Status::OK;
  }
  std::vector<std::string> traceparents() {
    std::lock_guard<std::mutex> lock(mu_);
    return traceparents_;
  }

 private:
  void Record(grpc::ServerContext* ctx) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = ctx->client_metadata().find(telemetry::kTraceparentHeader);
    traceparents_.push_back(it == ctx->client_metadata().end()
                                ? ""
                                : std::string(it->second.data(), it->second.size()));
  }
  std::mutex mu_;
  std::vector<std::string> traceparents_;
};

TEST(TraceLoggingTest, ClientSendsTheTraceparentAndReportsTheTraceId) {
  TraceRecordingService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(port, 0);
  auto client = Client::Connect({.address = absl::StrCat("127.0.0.1:", port)});
  ASSERT_TRUE(client.ok()) << client.status();

  const TraceParent given = TraceParent::NewRoot();
  auto run = (*client)->StartWorkflow(
      "Wf", {.id = "wf", .task_queue = "q", .traceparent = given.ToString()}, 1);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->trace_id, given.TraceIdHex());

  auto fresh = (*client)->StartWorkflow("Wf", {.id = "wf2", .task_queue = "q"}, 1);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(fresh->trace_id.size(), 32u);
  EXPECT_NE(fresh->trace_id, given.TraceIdHex());

  auto bad =
      (*client)->StartWorkflow("Wf", {.id = "wf3", .task_queue = "q", .traceparent = "x"}, 1);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);

  const TraceParent current = TraceParent::NewRoot();
  {
    ScopedTrace scope(current);
    ASSERT_TRUE((*client)->Signal("wf", "", "go").ok());
  }
  auto sent = service.traceparents();
  ASSERT_EQ(sent.size(), 3u);  // the malformed start never left the client
  EXPECT_EQ(sent[0], given.ToString());
  EXPECT_EQ(detail::TraceIdOf(sent[1]), fresh->trace_id);
  EXPECT_EQ(sent[2], current.ToString());
  server->Shutdown();
}

}  // namespace
}  // namespace weft
