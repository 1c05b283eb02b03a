// RequestLogScope on a bare grpc::ServerContext (no call): the context fields it adds, the
// level of the RPC line by status code, and the metadata it answers with.
#include "server/frontend/request_log_scope.h"

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "telemetry/log.h"
#include "telemetry/scoped_trace.h"

namespace weft::frontend {
namespace {

class Lines : public telemetry::LogSink {
 public:
  void Write(absl::string_view line) override {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.emplace_back(line);
  }
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(lines_);
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

class RequestLogScopeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    telemetry::LogRegistry::SetFormat(telemetry::LogFormat::kJson);
    telemetry::LogRegistry::SetDefaultLevel(telemetry::LogLevel::kInfo);
    telemetry::LogRegistry::SetSink(sink_);
  }
  void TearDown() override {
    telemetry::LogRegistry::SetSink(nullptr);
    telemetry::LogRegistry::SetDefaultLevel(telemetry::LogLevel::kInfo);
  }
  std::shared_ptr<Lines> sink_ = std::make_shared<Lines>();
};

TEST_F(RequestLogScopeTest, ServerSideFailuresWarnOthersAreDebug) {
  for (auto code : {absl::StatusCode::kInternal, absl::StatusCode::kUnavailable,
                    absl::StatusCode::kDataLoss, absl::StatusCode::kUnknown}) {
    grpc::ServerContext ctx;
    RequestLogScope scope(&ctx, "DescribeNamespace", "ns1", "", "");
    scope.Finish(absl::Status(code, "boom"), 0.0125);
    auto lines = sink_->Take();
    ASSERT_EQ(lines.size(), 1u) << absl::StatusCodeToString(code);
    EXPECT_NE(lines[0].find("\"level\":\"warn\""), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("\"message\":\"rpc failed\""), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("\"code\":\"" + absl::StatusCodeToString(code) + "\""),
              std::string::npos)
        << lines[0];
    EXPECT_NE(lines[0].find("\"duration_ms\":12.5"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("\"error\":\"boom\""), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("\"namespace\":\"ns1\""), std::string::npos) << lines[0];
  }
  // Caller errors and successes: nothing at info.
  for (auto status : {absl::OkStatus(), absl::InvalidArgumentError("bad"),
                      absl::NotFoundError("none"), absl::PermissionDeniedError("no")}) {
    grpc::ServerContext ctx;
    RequestLogScope scope(&ctx, "DescribeNamespace", "ns1", "", "");
    scope.Finish(status, 0.001);
  }
  EXPECT_TRUE(sink_->Take().empty());
}

TEST_F(RequestLogScopeTest, ContextFieldsLiveAsLongAsTheScope) {
  telemetry::LogRegistry::SetLevel("frontend", telemetry::LogLevel::kDebug);
  {
    grpc::ServerContext ctx;
    RequestLogScope scope(&ctx, "SignalWorkflowExecution", "ns1",
                          TargetLogField("SignalWorkflowExecution"), "wf-7");
    EXPECT_EQ(scope.request_id().size(), 36u);
    ASSERT_NE(telemetry::CurrentTrace(), nullptr);
    EXPECT_EQ(telemetry::CurrentTrace()->TraceIdHex(), scope.trace().TraceIdHex());
    api::v1::WorkflowExecution run;
    run.set_workflow_id("wf-7");
    run.set_run_id("run-9");
    NoteExecution(run);
    scope.Finish(absl::OkStatus(), 0.002);
    auto lines = sink_->Take();
    ASSERT_EQ(lines.size(), 1u);
    for (const std::string& field : std::vector<std::string>{
             "\"level\":\"debug\"", "\"method\":\"SignalWorkflowExecution\"",
             "\"workflow_id\":\"wf-7\"", "\"run_id\":\"run-9\"",
             "\"request_id\":\"" + scope.request_id() + "\"",
             "\"trace_id\":\"" + scope.trace().TraceIdHex() + "\"", "\"code\":\"OK\""}) {
      EXPECT_NE(lines[0].find(field), std::string::npos) << field << " in " << lines[0];
    }
  }
  // Gone with the scope.
  EXPECT_EQ(telemetry::CurrentTrace(), nullptr);
  EXPECT_TRUE(telemetry::CurrentLogContext().empty());
  RequestLogScope::Note("run_id", "outside");  // no RPC: nothing to add to
  EXPECT_TRUE(telemetry::CurrentLogContext().empty());
}

TEST_F(RequestLogScopeTest, TargetFields) {
  EXPECT_EQ(TargetLogField("StartWorkflowExecution"), "workflow_id");
  EXPECT_EQ(TargetLogField("PollActivityTaskQueue"), "task_queue");
  EXPECT_EQ(TargetLogField("CreateSchedule"), "schedule_id");
  EXPECT_EQ(TargetLogField("CreateApiKey"), "");  // an owner name: not worth a field
}

}  // namespace
}  // namespace weft::frontend
