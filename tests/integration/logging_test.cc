// Integration tests of weft-server's structured logs: a real server in-process (RocksDB in a
// temp directory, gRPC over loopback on a port the OS picked) with a capturing LogSink. An RPC
// with `traceparent` and `x-request-id` is logged with its request context and answered with
// both in the initial metadata; AdminService SetLogLevel turns one component's debug lines on
// and off and refuses a bad level.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/app/weft_server.h"
#include "telemetry/log.h"
#include "tests/support/in_process_server.h"
#include "tests/support/temp_dir.h"
#include "weft/api/v1/admin_service.grpc.pb.h"
#include "weft/api/v1/workflow_service.grpc.pb.h"

namespace weft {
namespace {

using namespace api::v1;  // NOLINT: test brevity

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kCallerSpan[] = "00f067aa0ba902b7";

class CapturingSink : public telemetry::LogSink {
 public:
  void Write(absl::string_view line) override {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.emplace_back(line);
  }
  // The parsed lines whose request_id is `request_id`.
  std::vector<nlohmann::json> ForRequest(const std::string& request_id) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<nlohmann::json> out;
    for (const auto& l : lines_) {
      auto j = nlohmann::json::parse(l, nullptr, /*allow_exceptions=*/false);
      EXPECT_TRUE(j.is_object()) << "not a JSON line: " << l;
      if (j.is_object() && j.value("request_id", "") == request_id) out.push_back(j);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    telemetry::LogRegistry::SetFormat(telemetry::LogFormat::kJson);
    telemetry::LogRegistry::SetDefaultLevel(telemetry::LogLevel::kInfo);
    telemetry::LogRegistry::SetSink(sink_);
    auto s = weft::testing::StartDevServer(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    auto channel = grpc::CreateChannel(weft::testing::GrpcAddress(*server_),
                                       grpc::InsecureChannelCredentials());
    stub_ = WorkflowService::NewStub(channel);
    admin_ = AdminService::NewStub(channel);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    server_.reset();
    telemetry::LogRegistry::SetSink(nullptr);
    telemetry::LogRegistry::SetDefaultLevel(telemetry::LogLevel::kInfo);
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& request_id,
                                                  const std::string& traceparent = "") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!request_id.empty()) ctx->AddMetadata("x-request-id", request_id);
    if (!traceparent.empty()) ctx->AddMetadata("traceparent", traceparent);
    return ctx;
  }
  static std::string Initial(const grpc::ClientContext& ctx, const std::string& key) {
    const auto& md = ctx.GetServerInitialMetadata();
    auto it = md.find(key);
    return it == md.end() ? "" : std::string(it->second.data(), it->second.size());
  }
  grpc::Status DescribeDefault(grpc::ClientContext* ctx) {
    DescribeNamespaceRequest req;
    req.set_namespace_("default");
    DescribeNamespaceResponse resp;
    return stub_->DescribeNamespace(ctx, req, &resp);
  }
  // The frontend's RPC lines of one request.
  std::vector<nlohmann::json> RpcLines(const std::string& request_id) {
    std::vector<nlohmann::json> out;
    for (auto& j : sink_->ForRequest(request_id)) {
      if (j.value("component", "") == "frontend" && j.contains("code")) out.push_back(j);
    }
    return out;
  }

  std::shared_ptr<CapturingSink> sink_ = std::make_shared<CapturingSink>();
  testing::TempDir dir_;
  std::unique_ptr<app::WeftServer> server_;
  std::unique_ptr<WorkflowService::Stub> stub_;
  std::unique_ptr<AdminService::Stub> admin_;
};

TEST_F(LoggingTest, RpcLineCarriesRequestContextAndResponseEchoesIt) {
  telemetry::LogRegistry::SetLevel("frontend", telemetry::LogLevel::kDebug);
  StartWorkflowExecutionRequest req;
  req.set_namespace_("default");
  req.set_workflow_id("log-ctx-wf");
  req.mutable_workflow_type()->set_name("Wf");
  req.mutable_task_queue()->set_name("q");
  StartWorkflowExecutionResponse resp;
  auto ctx = Ctx("req-abc-123", std::string("00-") + kTraceId + "-" + kCallerSpan + "-01");
  grpc::Status s = stub_->StartWorkflowExecution(ctx.get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // The response names the request and the server's span of the caller's trace.
  EXPECT_EQ(Initial(*ctx, "x-request-id"), "req-abc-123");
  std::string tp = Initial(*ctx, "traceparent");
  ASSERT_EQ(tp.size(), 55u) << tp;
  EXPECT_EQ(tp.substr(3, 32), kTraceId) << tp;
  std::string server_span = tp.substr(36, 16);
  EXPECT_NE(server_span, kCallerSpan) << tp;

  auto lines = RpcLines("req-abc-123");
  ASSERT_EQ(lines.size(), 1u);
  const auto& l = lines[0];
  EXPECT_EQ(l.value("level", ""), "debug") << l.dump();
  EXPECT_EQ(l.value("message", ""), "rpc completed") << l.dump();
  EXPECT_EQ(l.value("method", ""), "StartWorkflowExecution") << l.dump();
  EXPECT_EQ(l.value("namespace", ""), "default") << l.dump();
  EXPECT_EQ(l.value("workflow_id", ""), "log-ctx-wf") << l.dump();
  EXPECT_EQ(l.value("run_id", ""), resp.run_id()) << l.dump();
  EXPECT_EQ(l.value("trace_id", ""), kTraceId) << l.dump();
  EXPECT_EQ(l.value("span_id", ""), server_span) << l.dump();
  EXPECT_EQ(l.value("code", ""), "OK") << l.dump();
  ASSERT_TRUE(l.contains("duration_ms") && l["duration_ms"].is_number()) << l.dump();
  EXPECT_GE(l["duration_ms"].get<double>(), 0.0);
  EXPECT_FALSE(l.value("time", "").empty()) << l.dump();
}

TEST_F(LoggingTest, BadRequestIdOrTraceparentGetNewOnes) {
  telemetry::LogRegistry::SetLevel("frontend", telemetry::LogLevel::kDebug);
  // Too long for a request id; a traceparent with upper-case hex is malformed (W3C): both are
  // replaced, and the call succeeds.
  auto ctx = Ctx(std::string(129, 'r'), "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01");
  ASSERT_TRUE(DescribeDefault(ctx.get()).ok());
  std::string id = Initial(*ctx, "x-request-id");
  EXPECT_EQ(id.size(), 36u) << id;  // a new UUID
  std::string tp = Initial(*ctx, "traceparent");
  ASSERT_EQ(tp.size(), 55u) << tp;
  EXPECT_NE(tp.substr(3, 32), "4bf92f3577b34da6a3ce929d0e0e4736") << tp;

  auto lines = sink_->ForRequest(id);
  bool malformed_noted = false, rpc_line = false;
  for (const auto& l : lines) {
    malformed_noted |= l.value("message", "").find("malformed traceparent") != std::string::npos;
    rpc_line |= l.value("method", "") == "DescribeNamespace" && l.contains("code") &&
                l.value("trace_id", "") == tp.substr(3, 32);
  }
  EXPECT_TRUE(malformed_noted);
  EXPECT_TRUE(rpc_line);

  // Without any: a request id and a trace are made.
  auto plain = Ctx("");
  ASSERT_TRUE(DescribeDefault(plain.get()).ok());
  EXPECT_EQ(Initial(*plain, "x-request-id").size(), 36u);
  EXPECT_EQ(Initial(*plain, "traceparent").size(), 55u);
}

TEST_F(LoggingTest, SetLogLevelTurnsOneComponentsDebugOnAndOff) {
  // Info by default: no line for a successful call.
  ASSERT_TRUE(DescribeDefault(Ctx("before").get()).ok());
  EXPECT_TRUE(RpcLines("before").empty());

  SetLogLevelRequest set;
  set.set_component("frontend");
  set.set_level("debug");
  SetLogLevelResponse set_resp;
  grpc::Status s = admin_->SetLogLevel(Ctx("set-debug").get(), set, &set_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(set_resp.default_level(), "info");
  bool frontend_debug = false, history_info = false;
  for (const auto& l : set_resp.levels()) {
    frontend_debug |= l.component() == "frontend" && l.level() == "debug";
    history_info |= l.component() == "history" && l.level() == "info";
  }
  EXPECT_TRUE(frontend_debug) << set_resp.DebugString();
  EXPECT_TRUE(history_info) << set_resp.DebugString();

  ASSERT_TRUE(DescribeDefault(Ctx("during").get()).ok());
  auto during = RpcLines("during");
  ASSERT_EQ(during.size(), 1u);
  EXPECT_EQ(during[0].value("method", ""), "DescribeNamespace");
  EXPECT_EQ(during[0].value("namespace", ""), "default");

  // A bad level is refused, naming the valid ones, and changes nothing.
  set.set_level("verbose");
  s = admin_->SetLogLevel(Ctx("bad").get(), set, &set_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("trace, debug, info, warn, error or off"), std::string::npos)
      << s.error_message();
  set.set_component("histroy");
  set.set_level("debug");
  s = admin_->SetLogLevel(Ctx("bad-component").get(), set, &set_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("history"), std::string::npos) << s.error_message();

  GetLogLevelsResponse levels;
  ASSERT_TRUE(admin_->GetLogLevels(Ctx("get").get(), GetLogLevelsRequest(), &levels).ok());
  bool still_debug = false;
  for (const auto& l : levels.levels()) {
    still_debug |= l.component() == "frontend" && l.level() == "debug";
  }
  EXPECT_TRUE(still_debug) << levels.DebugString();

  set.set_component("frontend");
  set.set_level("info");
  ASSERT_TRUE(admin_->SetLogLevel(Ctx("set-info").get(), set, &set_resp).ok());
  ASSERT_TRUE(DescribeDefault(Ctx("after").get()).ok());
  EXPECT_TRUE(RpcLines("after").empty());
}

}  // namespace
}  // namespace weft
