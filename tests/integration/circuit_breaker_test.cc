// Server-side circuit breakers against a real server in-process (real RocksDB, real gRPC on a
// port the OS picked) and an SDK worker whose activity calls a downstream the test can take
// down and bring back: while the breaker is open the downstream sees at most the probes, and
// once it recovers every workflow completes with no attempt lost. Overrides are persisted
// across a server restart.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "server/app/weft_server.h"
#include "server/common/proto_time.h"
#include "tests/support/in_process_server.h"
#include "tests/support/temp_dir.h"
#include "weft/api/v1/admin_service.grpc.pb.h"
#include "weft/client.h"
#include "weft/worker.h"
#include "weft/workflow.h"

namespace {

namespace v1 = weft::api::v1;
using std::chrono::milliseconds;

constexpr char kNs[] = "breakers";
constexpr char kQueue[] = "cb";
constexpr absl::Duration kOpenDuration = absl::Milliseconds(800);

// The downstream the activity calls: counts calls (with their times) and fails while down.
struct Downstream {
  std::atomic<bool> down{true};
  std::mutex mu;
  std::vector<absl::Time> calls;  // guarded by mu
  int Calls() {
    std::lock_guard<std::mutex> lock(mu);
    return static_cast<int>(calls.size());
  }
};
Downstream* g_downstream = nullptr;

std::string Charge(std::string order) {
  {
    std::lock_guard<std::mutex> lock(g_downstream->mu);
    g_downstream->calls.push_back(absl::Now());
  }
  if (g_downstream->down) throw weft::ApplicationError("bank unavailable", "BankDown");
  return "charged " + order;
}

weft::Workflow<std::string> Checkout(weft::WorkflowContext& ctx, std::string order) {
  co_return co_await ctx.ExecuteActivity<std::string>(
      "Charge",
      {.start_to_close = std::chrono::seconds(5),
       .retry_policy = weft::RetryPolicy{.initial_interval = milliseconds(50),
                                         .backoff_coefficient = 2.0,
                                         .maximum_interval = milliseconds(200)}},
      order);
}

// Polls `cond` until it holds or 30 s pass; false on timeout.
bool WaitFor(const std::function<bool()>& cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::yield();
    std::this_thread::sleep_for(milliseconds(10));  // polling interval, not a wait for time
  }
  return cond();
}

class CircuitBreakerIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_downstream = &downstream_;
    StartServer();
    v1::RegisterNamespaceRequest reg;
    reg.set_namespace_(kNs);
    auto* c = reg.mutable_circuit_breaker_config();
    c->set_enabled(true);
    c->set_failure_rate_threshold(0.5);
    c->set_minimum_attempts(4);
    *c->mutable_window() = weft::ToProto(absl::Seconds(30));
    *c->mutable_open_duration() = weft::ToProto(kOpenDuration);
    c->set_half_open_probes(1);
    grpc::ClientContext ctx;
    v1::RegisterNamespaceResponse resp;
    ASSERT_TRUE(workflow_->RegisterNamespace(&ctx, reg, &resp).ok());
    StartWorker();
  }
  void TearDown() override {
    StopWorker();
    if (server_) server_->Shutdown();
    g_downstream = nullptr;
  }

  void StartServer() {
    auto s = weft::testing::StartDevServer(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    address_ = weft::testing::GrpcAddress(*server_);
    auto channel = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
    admin_ = v1::AdminService::NewStub(channel);
    workflow_ = v1::WorkflowService::NewStub(channel);
  }
  void StartWorker() {
    auto client = weft::Client::Connect({.address = address_, .ns = kNs});
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
    worker_ = std::make_unique<weft::Worker>(*client_, weft::WorkerOptions{.task_queue = kQueue});
    worker_->RegisterWorkflow("Checkout", Checkout);
    worker_->RegisterActivity("Charge", Charge);
    ASSERT_TRUE(worker_->Start().ok());
  }
  void StopWorker() {
    if (worker_) worker_->Shutdown();
    worker_.reset();
    client_.reset();
  }

  v1::CircuitBreakerInfo Breaker() {
    v1::DescribeCircuitBreakerRequest req;
    req.set_namespace_(kNs);
    req.set_activity_type("Charge");
    v1::DescribeCircuitBreakerResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = admin_->DescribeCircuitBreaker(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.breaker();
  }
  grpc::Status SetOverride(v1::CircuitBreakerOverride o) {
    v1::SetCircuitBreakerOverrideRequest req;
    req.set_namespace_(kNs);
    req.set_activity_type("Charge");
    req.set_override(o);
    req.set_reason("test");
    v1::SetCircuitBreakerOverrideResponse resp;
    grpc::ClientContext ctx;
    return admin_->SetCircuitBreakerOverride(&ctx, req, &resp);
  }
  std::string PendingState(const std::string& wf) {
    auto d = client_->Describe(wf, "");
    if (!d.ok() || d->pending_activities().empty()) return "";
    return d->pending_activities(0).state();
  }

  weft::testing::TempDir dir_;
  Downstream downstream_;
  std::unique_ptr<weft::app::WeftServer> server_;
  std::string address_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::unique_ptr<v1::WorkflowService::Stub> workflow_;
  std::unique_ptr<weft::Client> client_;
  std::unique_ptr<weft::Worker> worker_;
};

TEST_F(CircuitBreakerIntegrationTest, AnOpenBreakerLetsOnlyProbesThroughAndNoAttemptIsLost) {
  constexpr int kWorkflows = 6;
  for (int i = 0; i < kWorkflows; ++i) {
    auto run = client_->StartWorkflow("Checkout",
                                      {.id = "order-" + std::to_string(i), .task_queue = kQueue},
                                      "order-" + std::to_string(i));
    ASSERT_TRUE(run.ok()) << run.status();
  }
  ASSERT_TRUE(WaitFor([&] { return Breaker().state() == v1::CIRCUIT_BREAKER_STATE_OPEN; }));
  // Every workflow's attempt ends up held: not failed, not dispatched.
  ASSERT_TRUE(WaitFor([&] { return Breaker().held_attempts() >= kWorkflows - 1; }))
      << Breaker().DebugString();
  ASSERT_TRUE(WaitFor([&] { return PendingState("order-5") == "BREAKER_OPEN"; }))
      << PendingState("order-5");
  auto held = client_->Describe("order-5", "");
  ASSERT_TRUE(held.ok());
  ASSERT_FALSE(held->pending_activities().empty());
  const int held_attempt = held->pending_activities(0).attempt();

  // Let it probe (and fail, and re-open) three more times. Nothing but those probes may reach
  // the downstream meanwhile (one more call at most: a probe under way at the start).
  const absl::Time start = absl::Now();
  const int calls_at_start = downstream_.Calls();
  const int64_t opened_before = Breaker().times_opened();
  ASSERT_TRUE(WaitFor([&] { return Breaker().times_opened() >= opened_before + 3; }))
      << Breaker().DebugString();
  const int through = downstream_.Calls() - calls_at_start;
  const int periods =
      static_cast<int>(std::ceil(absl::FDivDuration(absl::Now() - start, kOpenDuration)));
  EXPECT_LE(through, periods + 1) << "calls while open, over " << periods << " cool-downs";
  EXPECT_GE(through, 3);  // the failed probes themselves
  // Six workflows retrying every 200 ms would have called far more often, and their attempt
  // numbers would have grown with every retry; held attempts are not counted.
  auto again = client_->Describe("order-5", "");
  ASSERT_TRUE(again.ok());
  if (!again->pending_activities().empty()) {
    EXPECT_LE(again->pending_activities(0).attempt(), held_attempt + 4);
  }

  // The downstream recovers: a probe succeeds, the breaker closes, everything completes.
  downstream_.down = false;
  for (int i = 0; i < kWorkflows; ++i) {
    auto result =
        client_->GetResult<std::string>("order-" + std::to_string(i), "", std::chrono::seconds(30));
    ASSERT_TRUE(result.ok()) << "order-" << i << ": " << result.status();
    EXPECT_EQ(*result, "charged order-" + std::to_string(i));
  }
  auto b = Breaker();
  EXPECT_EQ(b.state(), v1::CIRCUIT_BREAKER_STATE_CLOSED);
  EXPECT_EQ(b.held_attempts(), 0);
}

TEST_F(CircuitBreakerIntegrationTest, AForcedOpenBreakerHoldsAcrossARestartUntilSetToAuto) {
  downstream_.down = false;
  ASSERT_TRUE(SetOverride(v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN).ok());
  auto run = client_->StartWorkflow("Checkout", {.id = "forced", .task_queue = kQueue},
                                    std::string("forced"));
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE(WaitFor([&] { return PendingState("forced") == "BREAKER_OPEN"; }));
  EXPECT_EQ(downstream_.Calls(), 0);
  EXPECT_EQ(Breaker().state(), v1::CIRCUIT_BREAKER_STATE_OPEN);

  // A restart keeps both the override and the held attempt.
  StopWorker();
  server_->Shutdown();
  server_.reset();
  StartServer();
  StartWorker();
  auto b = Breaker();
  EXPECT_EQ(b.override(), v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN);
  EXPECT_EQ(b.override_reason(), "test");
  EXPECT_EQ(PendingState("forced"), "BREAKER_OPEN");
  EXPECT_EQ(downstream_.Calls(), 0);

  ASSERT_TRUE(SetOverride(v1::CIRCUIT_BREAKER_OVERRIDE_AUTO).ok());
  auto result = client_->GetResult<std::string>("forced", "", std::chrono::seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, "charged forced");
  EXPECT_EQ(downstream_.Calls(), 1);
  EXPECT_EQ(Breaker().state(), v1::CIRCUIT_BREAKER_STATE_CLOSED);
}

TEST_F(CircuitBreakerIntegrationTest, UpdateNamespaceChangesTheConfigAndBadValuesAreRefused) {
  v1::UpdateNamespaceRequest req;
  req.set_namespace_(kNs);
  req.mutable_circuit_breaker_config()->set_failure_rate_threshold(1.5);
  v1::UpdateNamespaceResponse resp;
  {
    grpc::ClientContext ctx;
    grpc::Status s = workflow_->UpdateNamespace(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("failure_rate_threshold"), std::string::npos);
  }
  req.mutable_circuit_breaker_config()->set_enabled(false);
  req.mutable_circuit_breaker_config()->set_failure_rate_threshold(0.9);
  req.set_description("payments team");
  *req.mutable_workflow_execution_retention_period() = weft::ToProto(absl::Hours(24));
  {
    grpc::ClientContext ctx;
    grpc::Status s = workflow_->UpdateNamespace(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(resp.namespace_info().description(), "payments team");
  EXPECT_FALSE(resp.namespace_info().circuit_breaker_config().enabled());
  // Turned off: a failing downstream no longer opens anything.
  auto run =
      client_->StartWorkflow("Checkout", {.id = "off", .task_queue = kQueue}, std::string("off"));
  ASSERT_TRUE(run.ok());
  ASSERT_TRUE(WaitFor([&] { return downstream_.Calls() >= 8; }));
  EXPECT_EQ(Breaker().state(), v1::CIRCUIT_BREAKER_STATE_CLOSED);
  downstream_.down = false;
  ASSERT_TRUE(client_->GetResult<std::string>("off", "", std::chrono::seconds(30)).ok());
  // Unset fields keep their value; the update survives a restart.
  StopWorker();
  server_->Shutdown();
  server_.reset();
  StartServer();
  v1::DescribeNamespaceRequest dreq;
  dreq.set_namespace_(kNs);
  v1::DescribeNamespaceResponse dresp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(workflow_->DescribeNamespace(&ctx, dreq, &dresp).ok());
  EXPECT_EQ(dresp.namespace_info().description(), "payments team");
  EXPECT_EQ(weft::FromProto(dresp.namespace_info().workflow_execution_retention_ttl()),
            absl::Hours(24));
  EXPECT_DOUBLE_EQ(dresp.namespace_info().circuit_breaker_config().failure_rate_threshold(), 0.9);
  StartWorker();
}

}  // namespace
