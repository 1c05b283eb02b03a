// Integration tests: a real weft-server (in-process, real RocksDB in a temp directory, real
// gRPC over loopback on a port the OS picked), driven through the public gRPC API the way a
// worker SDK drives it.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server/app/weft_server.h"
#include "tests/support/in_process_server.h"
#include "tests/support/temp_dir.h"
#include "weft/api/v1/workflow_service.grpc.pb.h"

namespace weft {
namespace {

using namespace api::v1;  // NOLINT: test brevity

Payloads JsonArgs(const std::string& json) {
  Payloads p;
  auto* one = p.add_payloads();
  (*one->mutable_metadata())["encoding"] = "json/plain";
  one->set_data(json);
  return p;
}

class ServerApiTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }
  void TearDown() override { StopServer(); }

  void StartServer(int num_shards = 0) {
    auto s = weft::testing::StartDevServer(
        dir_.path(), [&](weft::app::ServerConfig& c) { c.num_shards = num_shards; });
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    auto channel = grpc::CreateCustomChannel(weft::testing::GrpcAddress(*server_),
                                             grpc::InsecureChannelCredentials(), args);
    stub_ = WorkflowService::NewStub(channel);
  }
  void StopServer() {
    stub_.reset();
    if (server_) server_->Shutdown();
    server_.reset();
  }
  void Restart() {
    StopServer();
    StartServer();
  }

  std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 10) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    return ctx;
  }

  StartWorkflowExecutionResponse Start(const std::string& id, const std::string& type = "Wf",
                                       StartWorkflowExecutionRequest req = {}) {
    req.set_namespace_("default");
    req.set_workflow_id(id);
    req.mutable_workflow_type()->set_name(type);
    req.mutable_task_queue()->set_name("q");
    if (!req.has_input()) *req.mutable_input() = JsonArgs("\"in\"");
    StartWorkflowExecutionResponse resp;
    grpc::Status s = stub_->StartWorkflowExecution(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  PollWorkflowTaskQueueResponse PollWorkflow(int seconds = 10) {
    PollWorkflowTaskQueueRequest req;
    req.set_namespace_("default");
    req.mutable_task_queue()->set_name("q");
    req.set_identity("test-worker");
    PollWorkflowTaskQueueResponse resp;
    grpc::Status s = stub_->PollWorkflowTaskQueue(Ctx(seconds + 1).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  PollActivityTaskQueueResponse PollActivity(int seconds = 10) {
    PollActivityTaskQueueRequest req;
    req.set_namespace_("default");
    req.mutable_task_queue()->set_name("q");
    req.set_identity("test-worker");
    PollActivityTaskQueueResponse resp;
    grpc::Status s = stub_->PollActivityTaskQueue(Ctx(seconds + 1).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  grpc::Status Complete(const std::string& token, std::vector<Command> commands) {
    RespondWorkflowTaskCompletedRequest req;
    req.set_namespace_("default");
    req.set_task_token(token);
    req.set_identity("test-worker");
    for (auto& c : commands) *req.add_commands() = c;
    RespondWorkflowTaskCompletedResponse resp;
    return stub_->RespondWorkflowTaskCompleted(Ctx().get(), req, &resp);
  }

  static Command ScheduleActivity(const std::string& id, int max_attempts = 0,
                                  int start_to_close_ms = 10000) {
    Command c;
    c.set_command_type(COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK);
    auto* a = c.mutable_schedule_activity_task_command_attributes();
    a->set_activity_id(id);
    a->mutable_activity_type()->set_name("Act");
    *a->mutable_input() = JsonArgs("1");
    a->mutable_start_to_close_timeout()->set_seconds(start_to_close_ms / 1000);
    a->mutable_start_to_close_timeout()->set_nanos((start_to_close_ms % 1000) * 1000000);
    a->mutable_retry_policy()->mutable_initial_interval()->set_nanos(50 * 1000000);
    a->mutable_retry_policy()->set_maximum_attempts(max_attempts);
    a->mutable_retry_policy()->add_non_retryable_error_types("Fatal");
    return c;
  }
  static Command StartTimer(const std::string& id, int ms) {
    Command c;
    c.set_command_type(COMMAND_TYPE_START_TIMER);
    auto* a = c.mutable_start_timer_command_attributes();
    a->set_timer_id(id);
    a->mutable_start_to_fire_timeout()->set_seconds(ms / 1000);
    a->mutable_start_to_fire_timeout()->set_nanos((ms % 1000) * 1000000);
    return c;
  }
  static Command CompleteWorkflow(const std::string& json) {
    Command c;
    c.set_command_type(COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
    *c.mutable_complete_workflow_execution_command_attributes()->mutable_result() = JsonArgs(json);
    return c;
  }

  grpc::Status CompleteActivity(const std::string& token, const std::string& json) {
    RespondActivityTaskCompletedRequest req;
    req.set_namespace_("default");
    req.set_task_token(token);
    *req.mutable_result() = JsonArgs(json);
    RespondActivityTaskCompletedResponse resp;
    return stub_->RespondActivityTaskCompleted(Ctx().get(), req, &resp);
  }
  grpc::Status FailActivity(const std::string& token, const std::string& type) {
    RespondActivityTaskFailedRequest req;
    req.set_namespace_("default");
    req.set_task_token(token);
    req.mutable_failure()->set_message("boom");
    req.mutable_failure()->set_type(type);
    RespondActivityTaskFailedResponse resp;
    return stub_->RespondActivityTaskFailed(Ctx().get(), req, &resp);
  }

  std::vector<HistoryEvent> History(const std::string& id) {
    GetWorkflowExecutionHistoryRequest req;
    req.set_namespace_("default");
    req.mutable_execution()->set_workflow_id(id);
    GetWorkflowExecutionHistoryResponse resp;
    grpc::Status s = stub_->GetWorkflowExecutionHistory(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.history().events().begin(), resp.history().events().end()};
  }

  // Waits (long poll) for the run to close and returns its close event.
  HistoryEvent AwaitClose(const std::string& id, int seconds = 20) {
    GetWorkflowExecutionHistoryRequest req;
    req.set_namespace_("default");
    req.mutable_execution()->set_workflow_id(id);
    req.set_wait_new_event(true);
    req.set_history_event_filter_type(HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
    GetWorkflowExecutionHistoryResponse resp;
    grpc::Status s = stub_->GetWorkflowExecutionHistory(Ctx(seconds).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (resp.history().events_size() != 1) return HistoryEvent();
    return resp.history().events(0);
  }

  static std::vector<EventType> Types(const std::vector<HistoryEvent>& events) {
    std::vector<EventType> out;
    for (const auto& e : events) out.push_back(e.event_type());
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<app::WeftServer> server_;
  std::unique_ptr<WorkflowService::Stub> stub_;
};

TEST_F(ServerApiTest, ActivityThenTimerThenComplete) {
  std::string run_id = Start("wf-1").run_id();
  auto wt = PollWorkflow();
  ASSERT_FALSE(wt.task_token().empty());
  EXPECT_EQ(wt.workflow_execution().run_id(), run_id);
  EXPECT_EQ(Types({wt.history().events().begin(), wt.history().events().end()}),
            (std::vector<EventType>{EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
                                    EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
                                    EVENT_TYPE_WORKFLOW_TASK_STARTED}));
  ASSERT_TRUE(Complete(wt.task_token(), {ScheduleActivity("1")}).ok());

  auto at = PollActivity();
  ASSERT_FALSE(at.task_token().empty());
  EXPECT_EQ(at.activity_type().name(), "Act");
  EXPECT_EQ(at.attempt(), 1);
  EXPECT_EQ(at.input().payloads(0).data(), "1");
  ASSERT_TRUE(CompleteActivity(at.task_token(), "2").ok());
  // A second answer for the same attempt is refused.
  EXPECT_EQ(CompleteActivity(at.task_token(), "2").error_code(), grpc::StatusCode::NOT_FOUND);

  wt = PollWorkflow();
  ASSERT_FALSE(wt.task_token().empty());
  const auto& ev = wt.history().events();
  ASSERT_GE(ev.size(), 9);
  EXPECT_EQ(ev[5].event_type(), EVENT_TYPE_ACTIVITY_TASK_STARTED);
  EXPECT_EQ(ev[6].event_type(), EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
  EXPECT_EQ(ev[6].activity_task_completed_event_attributes().result().payloads(0).data(), "2");
  ASSERT_TRUE(Complete(wt.task_token(), {StartTimer("t1", 100)}).ok());

  wt = PollWorkflow();
  ASSERT_FALSE(wt.task_token().empty());
  bool fired = false;
  for (const auto& e : wt.history().events()) {
    fired |= e.event_type() == EVENT_TYPE_TIMER_FIRED &&
             e.timer_fired_event_attributes().timer_id() == "t1";
  }
  EXPECT_TRUE(fired);
  ASSERT_TRUE(Complete(wt.task_token(), {CompleteWorkflow("\"done\"")}).ok());

  HistoryEvent close = AwaitClose("wf-1");
  ASSERT_EQ(close.event_type(), EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  EXPECT_EQ(close.workflow_execution_completed_event_attributes().result().payloads(0).data(),
            "\"done\"");

  DescribeWorkflowExecutionRequest dreq;
  dreq.set_namespace_("default");
  dreq.mutable_execution()->set_workflow_id("wf-1");
  DescribeWorkflowExecutionResponse dresp;
  ASSERT_TRUE(stub_->DescribeWorkflowExecution(Ctx().get(), dreq, &dresp).ok());
  EXPECT_EQ(dresp.workflow_execution_info().status(), WORKFLOW_EXECUTION_STATUS_COMPLETED);
}

TEST_F(ServerApiTest, ActivityRetriesServerSideAndHistoryShowsOnlyTheOutcome) {
  Start("wf-retry");
  auto wt = PollWorkflow();
  ASSERT_TRUE(Complete(wt.task_token(), {ScheduleActivity("1")}).ok());
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto at = PollActivity();
    ASSERT_EQ(at.attempt(), attempt);
    if (attempt < 3) {
      ASSERT_TRUE(FailActivity(at.task_token(), "Transient").ok());
    } else {
      ASSERT_TRUE(CompleteActivity(at.task_token(), "\"ok\"").ok());
    }
  }
  wt = PollWorkflow();
  std::vector<HistoryEvent> ev(wt.history().events().begin(), wt.history().events().end());
  int started = 0;
  for (const auto& e : ev) {
    if (e.event_type() == EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      ++started;
      EXPECT_EQ(e.activity_task_started_event_attributes().attempt(), 3);
      EXPECT_EQ(e.activity_task_started_event_attributes().last_failure().message(), "boom");
    }
    EXPECT_NE(e.event_type(), EVENT_TYPE_ACTIVITY_TASK_FAILED);
  }
  EXPECT_EQ(started, 1);
}

TEST_F(ServerApiTest, NonRetryableFailureEndsTheActivity) {
  Start("wf-fatal");
  auto wt = PollWorkflow();
  ASSERT_TRUE(Complete(wt.task_token(), {ScheduleActivity("1")}).ok());
  auto at = PollActivity();
  ASSERT_TRUE(FailActivity(at.task_token(), "Fatal").ok());
  wt = PollWorkflow();
  const auto& ev = wt.history().events();
  auto failed = std::find_if(ev.begin(), ev.end(), [](const HistoryEvent& e) {
    return e.event_type() == EVENT_TYPE_ACTIVITY_TASK_FAILED;
  });
  ASSERT_NE(failed, ev.end());
  EXPECT_EQ(failed->activity_task_failed_event_attributes().retry_state(),
            RETRY_STATE_NON_RETRYABLE_FAILURE);
}

TEST_F(ServerApiTest, StartToCloseTimeoutRetriesTheActivity) {
  Start("wf-timeout");
  auto wt = PollWorkflow();
  ASSERT_TRUE(Complete(wt.task_token(), {ScheduleActivity("1", 0, 300)}).ok());
  auto first = PollActivity();
  ASSERT_EQ(first.attempt(), 1);
  // Never answer attempt 1: after 300 ms it times out and attempt 2 is dispatched.
  auto second = PollActivity();
  ASSERT_EQ(second.attempt(), 2);
  EXPECT_EQ(CompleteActivity(first.task_token(), "1").error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(CompleteActivity(second.task_token(), "2").ok());
}

TEST_F(ServerApiTest, SignalDuringWorkflowTaskIsNotLost) {
  Start("wf-signal");
  auto wt = PollWorkflow();
  SignalWorkflowExecutionRequest sreq;
  sreq.set_namespace_("default");
  sreq.mutable_workflow_execution()->set_workflow_id("wf-signal");
  sreq.set_signal_name("approve");
  *sreq.mutable_input() = JsonArgs("\"yes\"");
  SignalWorkflowExecutionResponse sresp;
  ASSERT_TRUE(stub_->SignalWorkflowExecution(Ctx().get(), sreq, &sresp).ok());
  // The worker did not see the signal and tries to close: refused, a new task comes.
  ASSERT_TRUE(Complete(wt.task_token(), {CompleteWorkflow("1")}).ok());
  wt = PollWorkflow();
  ASSERT_FALSE(wt.task_token().empty());
  bool signaled = false;
  for (const auto& e : wt.history().events()) {
    signaled |= e.event_type() == EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED;
  }
  EXPECT_TRUE(signaled);
  ASSERT_TRUE(Complete(wt.task_token(), {CompleteWorkflow("2")}).ok());
  EXPECT_EQ(AwaitClose("wf-signal").event_type(), EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
}

TEST_F(ServerApiTest, StateSurvivesRestart) {
  std::string run_id = Start("wf-restart").run_id();
  auto wt = PollWorkflow();
  ASSERT_TRUE(Complete(wt.task_token(), {ScheduleActivity("1")}).ok());
  Restart();
  // The activity task waits in the durable backlog (or is re-dispatched from the transfer
  // queue) and the run carries on.
  auto at = PollActivity();
  ASSERT_FALSE(at.task_token().empty());
  EXPECT_EQ(at.workflow_execution().run_id(), run_id);
  ASSERT_TRUE(CompleteActivity(at.task_token(), "5").ok());
  Restart();
  wt = PollWorkflow();
  ASSERT_FALSE(wt.task_token().empty());
  ASSERT_TRUE(Complete(wt.task_token(), {CompleteWorkflow("\"after restarts\"")}).ok());
  Restart();
  HistoryEvent close = AwaitClose("wf-restart");
  EXPECT_EQ(close.event_type(), EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
}

TEST_F(ServerApiTest, IdempotentStartAndReusePolicies) {
  StartWorkflowExecutionRequest req;
  req.set_request_id("req-1");
  auto first = Start("wf-id", "Wf", req);
  auto again = Start("wf-id", "Wf", req);
  EXPECT_EQ(first.run_id(), again.run_id());
  EXPECT_FALSE(again.started());

  StartWorkflowExecutionRequest other;
  other.set_namespace_("default");
  other.set_workflow_id("wf-id");
  other.mutable_workflow_type()->set_name("Wf");
  other.mutable_task_queue()->set_name("q");
  StartWorkflowExecutionResponse resp;
  grpc::Status s = stub_->StartWorkflowExecution(Ctx().get(), other, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(s.error_message().find(first.run_id()), std::string::npos) << s.error_message();

  other.set_workflow_id_reuse_policy(WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING);
  ASSERT_TRUE(stub_->StartWorkflowExecution(Ctx().get(), other, &resp).ok());
  EXPECT_NE(resp.run_id(), first.run_id());
  GetWorkflowExecutionHistoryRequest hreq;
  hreq.set_namespace_("default");
  hreq.mutable_execution()->set_workflow_id("wf-id");
  hreq.mutable_execution()->set_run_id(first.run_id());
  hreq.set_history_event_filter_type(HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
  GetWorkflowExecutionHistoryResponse hresp;
  ASSERT_TRUE(stub_->GetWorkflowExecutionHistory(Ctx().get(), hreq, &hresp).ok());
  ASSERT_EQ(hresp.history().events_size(), 1);
  EXPECT_EQ(hresp.history().events(0).event_type(), EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
}

TEST_F(ServerApiTest, BadInputGetsClearErrors) {
  StartWorkflowExecutionRequest req;
  req.set_namespace_("nope");
  req.set_workflow_id("x");
  req.mutable_workflow_type()->set_name("Wf");
  req.mutable_task_queue()->set_name("q");
  StartWorkflowExecutionResponse resp;
  grpc::Status s = stub_->StartWorkflowExecution(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("namespace \"nope\""), std::string::npos);

  req.set_namespace_("default");
  req.mutable_input()->add_payloads()->set_data(std::string(2 * 1024 * 1024 + 10, 'x'));
  s = stub_->StartWorkflowExecution(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("2 MB"), std::string::npos) << s.error_message();

  // Past the 4 MB request limit gRPC itself refuses the call, before any handler runs.
  req.mutable_input()->add_payloads()->set_data(std::string(3 * 1024 * 1024, 'y'));
  s = stub_->StartWorkflowExecution(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(s.error_message().find("larger than max"), std::string::npos) << s.error_message();
  req.mutable_input()->Clear();

  EXPECT_EQ(Complete("garbage", {}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  Start("wf-bad");
  auto wt = PollWorkflow();
  Command cancel_unknown;
  cancel_unknown.set_command_type(COMMAND_TYPE_CANCEL_TIMER);
  cancel_unknown.mutable_cancel_timer_command_attributes()->set_timer_id("nope");
  s = Complete(wt.task_token(), {cancel_unknown});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("no pending timer"), std::string::npos) << s.error_message();
  // The task was failed and is retried: the run is intact.
  wt = PollWorkflow();
  ASSERT_FALSE(wt.task_token().empty());
  auto last = wt.history().events(wt.history().events_size() - 3);
  EXPECT_EQ(last.event_type(), EVENT_TYPE_WORKFLOW_TASK_FAILED);
  ASSERT_TRUE(Complete(wt.task_token(), {CompleteWorkflow("1")}).ok());
}

TEST_F(ServerApiTest, ShardCountIsFixedAtCreation) {
  StopServer();
  app::ServerConfig cfg;
  cfg.data_dir = dir_.path();
  cfg.grpc_address = "127.0.0.1:0";
  cfg.http_address = "127.0.0.1:0";
  cfg.num_shards = 8;
  auto s = app::WeftServer::Start(cfg);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(s.status()));
  EXPECT_NE(s.status().message().find("--num-shards=16"), std::string::npos) << s.status();
  StartServer();
}

TEST_F(ServerApiTest, ContinueAsNewStartsANewRunInTheSameCommit) {
  std::string first = Start("wf-can").run_id();
  auto wt = PollWorkflow();
  Command can;
  can.set_command_type(COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
  *can.mutable_continue_as_new_workflow_execution_command_attributes()->mutable_input() =
      JsonArgs("2");
  ASSERT_TRUE(Complete(wt.task_token(), {can}).ok());

  HistoryEvent close;
  {
    GetWorkflowExecutionHistoryRequest req;
    req.set_namespace_("default");
    req.mutable_execution()->set_workflow_id("wf-can");
    req.mutable_execution()->set_run_id(first);
    req.set_history_event_filter_type(HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
    GetWorkflowExecutionHistoryResponse resp;
    ASSERT_TRUE(stub_->GetWorkflowExecutionHistory(Ctx().get(), req, &resp).ok());
    ASSERT_EQ(resp.history().events_size(), 1);
    close = resp.history().events(0);
  }
  ASSERT_EQ(close.event_type(), EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
  std::string second =
      close.workflow_execution_continued_as_new_event_attributes().new_execution_run_id();
  ASSERT_FALSE(second.empty());

  // The new run is the current one, has a fresh history and its input, and links back.
  wt = PollWorkflow();
  ASSERT_FALSE(wt.task_token().empty());
  EXPECT_EQ(wt.workflow_execution().run_id(), second);
  const auto& started = wt.history().events(0).workflow_execution_started_event_attributes();
  EXPECT_EQ(started.input().payloads(0).data(), "2");
  EXPECT_EQ(started.continued_execution_run_id(), first);
  EXPECT_EQ(started.first_execution_run_id(), first);
  EXPECT_EQ(started.workflow_type().name(), "Wf");

  DescribeWorkflowExecutionRequest dreq;
  dreq.set_namespace_("default");
  dreq.mutable_execution()->set_workflow_id("wf-can");
  DescribeWorkflowExecutionResponse dresp;
  ASSERT_TRUE(stub_->DescribeWorkflowExecution(Ctx().get(), dreq, &dresp).ok());
  EXPECT_EQ(dresp.workflow_execution_info().execution().run_id(), second);
  EXPECT_EQ(dresp.workflow_execution_info().continued_from_run_id(), first);
  dreq.mutable_execution()->set_run_id(first);
  ASSERT_TRUE(stub_->DescribeWorkflowExecution(Ctx().get(), dreq, &dresp).ok());
  EXPECT_EQ(dresp.workflow_execution_info().status(), WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW);
  EXPECT_EQ(dresp.workflow_execution_info().continued_as_run_id(), second);

  ASSERT_TRUE(Complete(wt.task_token(), {CompleteWorkflow("\"end\"")}).ok());
  Restart();
  EXPECT_EQ(AwaitClose("wf-can").event_type(), EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
}

TEST_F(ServerApiTest, QueryIsAnsweredByAWorkerWithoutChangingHistory) {
  Start("wf-q");
  auto wt = PollWorkflow();
  ASSERT_TRUE(Complete(wt.task_token(), {StartTimer("t", 60000)}).ok());
  size_t events_before = History("wf-q").size();

  // A worker thread answers the query it polls.
  std::thread worker([&] {
    auto task = PollWorkflow();
    ASSERT_TRUE(task.has_query());
    EXPECT_EQ(task.query().query_type(), "count");
    EXPECT_EQ(static_cast<size_t>(task.history().events_size()), events_before);
    RespondQueryTaskCompletedRequest req;
    req.set_namespace_("default");
    req.set_task_token(task.task_token());
    req.set_completed_type(QUERY_RESULT_TYPE_ANSWERED);
    *req.mutable_query_result() = JsonArgs("42");
    RespondQueryTaskCompletedResponse resp;
    EXPECT_TRUE(stub_->RespondQueryTaskCompleted(Ctx().get(), req, &resp).ok());
  });
  QueryWorkflowRequest qreq;
  qreq.set_namespace_("default");
  qreq.mutable_execution()->set_workflow_id("wf-q");
  qreq.mutable_query()->set_query_type("count");
  QueryWorkflowResponse qresp;
  grpc::Status s = stub_->QueryWorkflow(Ctx().get(), qreq, &qresp);
  worker.join();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(qresp.query_result().payloads(0).data(), "42");
  EXPECT_EQ(History("wf-q").size(), events_before);

  // A failed query reports the worker's reason.
  std::thread failing([&] {
    auto task = PollWorkflow();
    RespondQueryTaskCompletedRequest req;
    req.set_namespace_("default");
    req.set_task_token(task.task_token());
    req.set_completed_type(QUERY_RESULT_TYPE_FAILED);
    req.set_error_message("unknown query type 'nope' (known: count)");
    RespondQueryTaskCompletedResponse resp;
    EXPECT_TRUE(stub_->RespondQueryTaskCompleted(Ctx().get(), req, &resp).ok());
  });
  qreq.mutable_query()->set_query_type("nope");
  s = stub_->QueryWorkflow(Ctx().get(), qreq, &qresp);
  failing.join();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("unknown query type 'nope'"), std::string::npos);

  // Nobody polls: the caller's deadline ends the wait with a clear message.
  s = stub_->QueryWorkflow(Ctx(2).get(), qreq, &qresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // The stale query task left in the queue is dropped, not handed to the next poller.
  auto next = PollWorkflow(1);
  EXPECT_TRUE(next.task_token().empty());
}

TEST_F(ServerApiTest, ServesTheGrpcHealthService) {
  // grpc.health.v1.Health/Check with an empty HealthCheckRequest (service ""): the answer
  // is a HealthCheckResponse whose field 1 (status) is SERVING (1), encoded as 08 01.
  auto channel =
      grpc::CreateChannel(weft::testing::GrpcAddress(*server_), grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  grpc::ByteBuffer request, response;
  grpc::Slice empty("");
  request = grpc::ByteBuffer(&empty, 1);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = s;
                      done = true;
                      cv.notify_all();
                    });
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; }));
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const auto& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
}

TEST_F(ServerApiTest, EmptyPollReturnsEmptyResponse) {
  auto wt = PollWorkflow(/*seconds=*/1);
  EXPECT_TRUE(wt.task_token().empty());
}

TEST_F(ServerApiTest, ResetStartsARunFromAWorkflowTaskAndRedispatchesWhatWasPending) {
  std::string base_run = Start("wf-reset").run_id();
  auto wt = PollWorkflow();
  ASSERT_FALSE(wt.task_token().empty());
  ASSERT_TRUE(Complete(wt.task_token(), {ScheduleActivity("a1"), StartTimer("t1", 600000)}).ok());
  // 4 WTCompleted, 5 ActivityScheduled, 6 TimerStarted.
  auto signal = [&](const std::string& name) {
    SignalWorkflowExecutionRequest s;
    s.set_namespace_("default");
    s.mutable_workflow_execution()->set_workflow_id("wf-reset");
    s.set_signal_name(name);
    SignalWorkflowExecutionResponse r;
    ASSERT_TRUE(stub_->SignalWorkflowExecution(Ctx().get(), s, &r).ok());
  };
  signal("s1");         // 7 Signaled, 8 WTScheduled
  wt = PollWorkflow();  // 9 WTStarted
  ASSERT_FALSE(wt.task_token().empty());
  ASSERT_TRUE(Complete(wt.task_token(), {}).ok());  // 10 WTCompleted
  signal("s2");  // after the reset point: re-applied to the new run

  ResetWorkflowExecutionRequest req;
  req.set_namespace_("default");
  req.mutable_workflow_execution()->set_workflow_id("wf-reset");
  req.set_workflow_task_finish_event_id(5);
  req.set_reason("test");
  req.set_request_id("reset-1");
  ResetWorkflowExecutionResponse resp;
  grpc::Status s = stub_->ResetWorkflowExecution(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("event 5 is EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"),
            std::string::npos)
      << s.error_message();
  req.set_workflow_task_finish_event_id(99);
  EXPECT_EQ(stub_->ResetWorkflowExecution(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  req.set_workflow_task_finish_event_id(10);
  ASSERT_TRUE(stub_->ResetWorkflowExecution(Ctx().get(), req, &resp).ok());
  const std::string new_run = resp.run_id();
  ASSERT_FALSE(new_run.empty());
  EXPECT_NE(new_run, base_run);
  // A retried reset answers with the same run.
  ResetWorkflowExecutionResponse again;
  ASSERT_TRUE(stub_->ResetWorkflowExecution(Ctx().get(), req, &again).ok());
  EXPECT_EQ(again.run_id(), new_run);

  // The old run was running: it is terminated, and says why.
  GetWorkflowExecutionHistoryRequest hreq;
  hreq.set_namespace_("default");
  hreq.mutable_execution()->set_workflow_id("wf-reset");
  hreq.mutable_execution()->set_run_id(base_run);
  GetWorkflowExecutionHistoryResponse hresp;
  ASSERT_TRUE(stub_->GetWorkflowExecutionHistory(Ctx().get(), hreq, &hresp).ok());
  const auto& old_events = hresp.history().events();
  ASSERT_GT(old_events.size(), 0);
  EXPECT_EQ(old_events.rbegin()->event_type(), EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);

  // The new run: events 1..9 as before, then the reset's failed task, the re-applied signal
  // and a new workflow task; the pending activity is dispatched again.
  std::vector<HistoryEvent> events = History("wf-reset");
  ASSERT_GE(events.size(), 12u);
  for (int i = 0; i < 9; ++i) EXPECT_EQ(events[i].event_type(), old_events[i].event_type()) << i;
  EXPECT_EQ(events[9].event_type(), EVENT_TYPE_WORKFLOW_TASK_FAILED);
  const auto& fa = events[9].workflow_task_failed_event_attributes();
  EXPECT_EQ(fa.cause(), WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW);
  EXPECT_EQ(fa.base_run_id(), base_run);
  EXPECT_EQ(fa.new_run_id(), new_run);
  EXPECT_EQ(events[10].event_type(), EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  EXPECT_EQ(events[10].workflow_execution_signaled_event_attributes().signal_name(), "s2");
  EXPECT_EQ(events[11].event_type(), EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);

  auto at = PollActivity();
  ASSERT_FALSE(at.task_token().empty());
  EXPECT_EQ(at.workflow_execution().run_id(), new_run);
  EXPECT_EQ(at.activity_id(), "a1");
  ASSERT_TRUE(CompleteActivity(at.task_token(), "7").ok());

  wt = PollWorkflow();
  ASSERT_FALSE(wt.task_token().empty());
  EXPECT_EQ(wt.workflow_execution().run_id(), new_run);
  ASSERT_TRUE(Complete(wt.task_token(), {CompleteWorkflow("\"after reset\"")}).ok());
  HistoryEvent close = AwaitClose("wf-reset");
  ASSERT_EQ(close.event_type(), EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);

  // A closed run can be reset too; the pending timer at event 6 is pending again.
  req.set_request_id("reset-2");
  req.mutable_workflow_execution()->set_run_id(new_run);
  ASSERT_TRUE(stub_->ResetWorkflowExecution(Ctx().get(), req, &resp).ok());
  DescribeWorkflowExecutionRequest dreq;
  dreq.set_namespace_("default");
  dreq.mutable_execution()->set_workflow_id("wf-reset");
  DescribeWorkflowExecutionResponse dresp;
  ASSERT_TRUE(stub_->DescribeWorkflowExecution(Ctx().get(), dreq, &dresp).ok());
  EXPECT_EQ(dresp.workflow_execution_info().execution().run_id(), resp.run_id());
  EXPECT_EQ(dresp.workflow_execution_info().status(), WORKFLOW_EXECUTION_STATUS_RUNNING);
  ASSERT_EQ(dresp.pending_timers_size(), 1);
  EXPECT_EQ(dresp.pending_timers(0).timer_id(), "t1");
  ASSERT_EQ(dresp.pending_activities_size(), 1);

  // Resetting the older run while the newest one runs is refused.
  req.set_request_id("reset-3");
  req.mutable_workflow_execution()->set_run_id(base_run);
  EXPECT_EQ(stub_->ResetWorkflowExecution(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ServerApiTest, RetentionDeletesClosedRunsAndTheirHistory) {
  RegisterNamespaceRequest reg;
  reg.set_namespace_("short-lived");
  reg.mutable_workflow_execution_retention_period()->set_seconds(1);
  RegisterNamespaceResponse reg_resp;
  ASSERT_TRUE(stub_->RegisterNamespace(Ctx().get(), reg, &reg_resp).ok());

  StartWorkflowExecutionRequest start;
  start.set_namespace_("short-lived");
  start.set_workflow_id("wf-retained");
  start.mutable_workflow_type()->set_name("Wf");
  start.mutable_task_queue()->set_name("q");
  StartWorkflowExecutionResponse started;
  ASSERT_TRUE(stub_->StartWorkflowExecution(Ctx().get(), start, &started).ok());
  // Terminating closes the run: its deletion is due one second later.
  TerminateWorkflowExecutionRequest term;
  term.set_namespace_("short-lived");
  term.mutable_workflow_execution()->set_workflow_id("wf-retained");
  term.set_reason("done with it");
  TerminateWorkflowExecutionResponse term_resp;
  ASSERT_TRUE(stub_->TerminateWorkflowExecution(Ctx().get(), term, &term_resp).ok());

  DescribeWorkflowExecutionRequest dreq;
  dreq.set_namespace_("short-lived");
  dreq.mutable_execution()->set_workflow_id("wf-retained");
  dreq.mutable_execution()->set_run_id(started.run_id());
  DescribeWorkflowExecutionResponse dresp;
  ASSERT_TRUE(stub_->DescribeWorkflowExecution(Ctx().get(), dreq, &dresp).ok());
  grpc::Status s;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  do {  // the timer fires after 1 s; poll for its effect with a deadline
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    s = stub_->DescribeWorkflowExecution(Ctx().get(), dreq, &dresp);
  } while (s.ok() && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();

  GetWorkflowExecutionHistoryRequest hreq;
  hreq.set_namespace_("short-lived");
  *hreq.mutable_execution() = dreq.execution();
  GetWorkflowExecutionHistoryResponse hresp;
  EXPECT_EQ(stub_->GetWorkflowExecutionHistory(Ctx().get(), hreq, &hresp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ListWorkflowExecutionsRequest lreq;
  lreq.set_namespace_("short-lived");
  ListWorkflowExecutionsResponse lresp;
  ASSERT_TRUE(stub_->ListWorkflowExecutions(Ctx().get(), lreq, &lresp).ok());
  EXPECT_EQ(lresp.executions_size(), 0);
  // The id is free again, even under REJECT_DUPLICATE.
  start.set_workflow_id_reuse_policy(WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE);
  EXPECT_TRUE(stub_->StartWorkflowExecution(Ctx().get(), start, &started).ok());
}

}  // namespace
}  // namespace weft
