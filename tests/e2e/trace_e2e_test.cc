// End-to-end test of W3C trace context: `weft workflow start --traceparent` against a real
// weft-server (RocksDB on disk, gRPC over loopback) and a real weft-samples-worker. The trace
// id the CLI sent must reach the run's history events, the worker's JSON log lines of the
// run's activity (through the workflow task, the worker's RespondWorkflowTaskCompleted and the
// activity task) and the server's log lines of the requests the worker sent back.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace weft::testing {
namespace {

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kTraceparent[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// The trace id of a "00-<trace id>-<span id>-<flags>" value ("" if it is not one).
std::string TraceIdOf(const std::string& traceparent) {
  if (traceparent.size() < 35 || traceparent[2] != '-') return "";
  return traceparent.substr(3, 32);
}

// The output lines that are JSON objects.
std::vector<nlohmann::json> JsonLines(const std::string& output) {
  std::vector<nlohmann::json> out;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) out.push_back(std::move(j));
  }
  return out;
}

class TraceE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = absl::StrCat("127.0.0.1:", PickFreePort());
    std::vector<std::string> argv = {WEFT_SERVER_BIN,  "--dev",  "--data-dir",     dir_.path(),
                                     "--grpc-address", address_, "--http-address", "127.0.0.1:0"};
    // Every RPC's log line is at debug.
    server_logs_ = weft::testing::Run({WEFT_SERVER_BIN, "--help"}).out.find("--log-level") !=
                   std::string::npos;
    if (server_logs_) {
      argv.insert(argv.end(), {"--log-level", "debug", "--log-format", "json"});
    }
    server_ = std::make_unique<Process>(argv);
    ASSERT_TRUE(server_->WaitForLine("weft-server ready", absl::Seconds(60))) << server_->Output();
    worker_ = std::make_unique<Process>(
        std::vector<std::string>{WEFT_SAMPLES_WORKER_BIN, "--address", address_});
    ASSERT_TRUE(worker_->WaitForLine("weft-samples-worker ready", absl::Seconds(60)))
        << worker_->Output();
  }

  RunResult Cli(std::vector<std::string> args, absl::Duration timeout = absl::Seconds(60)) {
    std::vector<std::string> argv = {WEFT_CLI_BIN, "--address", address_};
    argv.insert(argv.end(), args.begin(), args.end());
    return weft::testing::Run(argv, timeout);
  }

  // The run's events (current run of `id`), from `weft workflow history -o json`.
  nlohmann::json Events(const std::string& id) {
    RunResult r = Cli({"--output", "json", "workflow", "history", "--workflow-id", id});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto h = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    return h.is_array() ? h : h.value("events", nlohmann::json::array());
  }

  TempDir dir_;
  std::string address_;
  bool server_logs_ = false;
  std::unique_ptr<Process> server_;
  std::unique_ptr<Process> worker_;
};

TEST_F(TraceE2eTest, TheStartsTraceReachesHistoryWorkerLogsAndServerLogs) {
  // The frontend continues callers' traces in the same change that adds the server's log
  // flags; a server without them writes no trace context at all.
  if (!server_logs_) GTEST_SKIP() << "weft-server has no --log-level: it does not trace yet";
  RunResult start =
      Cli({"workflow", "start", "--task-queue", "samples", "--type", "Greeting", "--workflow-id",
           "traced-1", "--input", "\"Tracy\"", "--traceparent", kTraceparent});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  EXPECT_NE(start.out.find(absl::StrCat("trace_id=", kTraceId)), std::string::npos) << start.out;
  RunResult result = Cli({"workflow", "result", "--workflow-id", "traced-1", "--timeout", "60s"},
                         absl::Seconds(90));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "\"Hello, Tracy!\"\n");

  // (a) History: the start carries the CLI's trace (a server span of it); the activity was
  // scheduled by the worker's RespondWorkflowTaskCompleted, which continued the same trace.
  RunResult history = Cli({"--output", "json", "workflow", "history", "--workflow-id", "traced-1"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  auto h = nlohmann::json::parse(history.out, nullptr, false);
  const auto& events = h.is_array() ? h : h.value("events", nlohmann::json::array());
  std::string started_trace, scheduled_trace, started_span;
  for (const auto& e : events) {
    std::string tp = e.value("trace_context", nlohmann::json::object()).value("traceparent", "");
    std::string type = e.value("event_type", "");
    if (type == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED") {
      started_trace = TraceIdOf(tp);
      started_span = tp;
    }
    if (type == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED") scheduled_trace = TraceIdOf(tp);
  }
  EXPECT_EQ(started_trace, kTraceId) << history.out;
  EXPECT_NE(started_span, kTraceparent) << "the server writes its own span of the trace";
  EXPECT_EQ(scheduled_trace, kTraceId) << history.out;

  // (b) The worker's log: the activity's ctx.logger() line is JSON with the run's fields and
  // the trace id.
  ASSERT_TRUE(worker_->WaitForLine("composing greeting", absl::Seconds(10))) << worker_->Output();
  bool activity_line = false;
  bool workflow_line = false;
  for (const auto& j : JsonLines(worker_->Output())) {
    if (j.value("workflow_id", "") != "traced-1") continue;
    const std::string message = j.value("message", "");
    if (message == "composing greeting") {
      activity_line = true;
      EXPECT_EQ(j.value("trace_id", ""), kTraceId) << j.dump();
      EXPECT_EQ(j.value("component", ""), "worker") << j.dump();
      EXPECT_EQ(j.value("activity_type", ""), "ComposeGreeting") << j.dump();
      EXPECT_EQ(j.value("attempt", ""), "1") << j.dump();
      EXPECT_FALSE(j.value("run_id", "").empty()) << j.dump();
      EXPECT_FALSE(j.value("identity", "").empty()) << j.dump();
    }
    if (absl::StartsWith(message, "greeting composed")) {
      // The workflow's replay-aware logger: once, though later tasks replay that code.
      EXPECT_FALSE(workflow_line) << "logged again during replay: " << j.dump();
      workflow_line = true;
      EXPECT_EQ(j.value("trace_id", ""), kTraceId) << j.dump();
    }
  }
  EXPECT_TRUE(activity_line) << worker_->Output();
  EXPECT_TRUE(workflow_line) << worker_->Output();

  // (c) The server's log: the start and the worker's answers are lines of the same trace.
  bool start_logged = false;
  bool activity_answer_logged = false;
  for (const auto& j : JsonLines(server_->Output())) {
    if (j.value("trace_id", "") != kTraceId) continue;
    const std::string line = j.dump();
    start_logged |= absl::StrContains(line, "StartWorkflowExecution");
    activity_answer_logged |= absl::StrContains(line, "RespondActivityTaskCompleted");
  }
  EXPECT_TRUE(start_logged) << server_->Output();
  EXPECT_TRUE(activity_answer_logged) << server_->Output();
}

// Children are started and signalled by the server's transfer queue, with no RPC of the
// caller's in sight: the queue continues the trace stored on the parent's initiated events.
TEST_F(TraceE2eTest, ChildrenAndTheirSignalsContinueTheParentsTrace) {
  if (!server_logs_) GTEST_SKIP() << "weft-server has no --log-level: it does not trace yet";
  RunResult start =
      Cli({"workflow", "start", "--task-queue", "samples", "--type", "ParentChild", "--workflow-id",
           "traced-parent", "--input", "{\"children\":2}", "--traceparent", kTraceparent});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  RunResult result =
      Cli({"workflow", "result", "--workflow-id", "traced-parent", "--timeout", "60s"},
          absl::Seconds(90));
  ASSERT_EQ(result.exit_code, 0) << result.err;

  std::vector<std::string> children;
  for (const auto& e : Events("traced-parent")) {
    if (e.value("event_type", "") == "EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED") {
      children.push_back(
          e["child_workflow_execution_started_event_attributes"]["workflow_execution"].value(
              "workflow_id", ""));
    }
  }
  ASSERT_EQ(children.size(), 2u);
  int signaled = 0;
  for (const std::string& child : children) {
    std::string started;
    for (const auto& e : Events(child)) {
      std::string tp = e.value("trace_context", nlohmann::json::object()).value("traceparent", "");
      if (e.value("event_type", "") == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED") started = tp;
      if (e.value("event_type", "") == "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED") {
        ++signaled;
        EXPECT_EQ(TraceIdOf(tp), kTraceId) << child;
      }
    }
    EXPECT_EQ(TraceIdOf(started), kTraceId) << child;
  }
  EXPECT_EQ(signaled, 1);  // the bonus, sent to the first child
}

TEST_F(TraceE2eTest, AMalformedTraceparentIsRefusedBeforeAnythingStarts) {
  RunResult start =
      Cli({"workflow", "start", "--task-queue", "samples", "--type", "Greeting", "--workflow-id",
           "traced-2", "--input", "\"X\"", "--traceparent", "00-XYZ-01"});
  EXPECT_NE(start.exit_code, 0);
  EXPECT_NE(start.err.find("is not a W3C traceparent"), std::string::npos) << start.err;
  RunResult describe = Cli({"workflow", "describe", "--workflow-id", "traced-2"});
  EXPECT_NE(describe.exit_code, 0) << "no run should exist: " << describe.out;
}

}  // namespace
}  // namespace weft::testing
