// Runs the whole `weft` command line in-process against a fake WorkflowService on a local
// port, and checks what a user would see: stdout, stderr, the exit code, and the requests
// the server received.
#include "cli/cli_app.h"

#include <gmock/gmock.h>
#include <grpc/grpc.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/exit_codes.h"
#include "google/protobuf/text_format.h"
#include "weft/api/v1/workflow_service.grpc.pb.h"

namespace weft::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;
namespace v1 = ::weft::api::v1;

constexpr char kUuidV4[] = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

// A WorkflowService whose answers the test chooses. Every request is recorded; a method
// without a handler answers OK with an empty response.
class FakeWorkflowService final : public v1::WorkflowService::Service {
 public:
  template <typename Request, typename Response>
  using Handler = std::function<grpc::Status(grpc::ServerContext*, const Request&, Response*)>;

#define WEFT_FAKE_METHOD(Name)                                                      \
 public:                                                                            \
  Handler<v1::Name##Request, v1::Name##Response> Name##_handler;                    \
  std::vector<v1::Name##Request> Name##_requests() {                                \
    std::lock_guard<std::mutex> lock(mu_);                                          \
    return Name##_requests_;                                                        \
  }                                                                                 \
  grpc::Status Name(grpc::ServerContext* context, const v1::Name##Request* request, \
                    v1::Name##Response* response) override {                        \
    {                                                                               \
      std::lock_guard<std::mutex> lock(mu_);                                        \
      Name##_requests_.push_back(*request);                                         \
    }                                                                               \
    if (!Name##_handler) return grpc::Status::OK;                                   \
    return Name##_handler(context, *request, response);                             \
  }                                                                                 \
                                                                                    \
 private:                                                                           \
  std::vector<v1::Name##Request> Name##_requests_;

  WEFT_FAKE_METHOD(RegisterNamespace)
  WEFT_FAKE_METHOD(DescribeNamespace)
  WEFT_FAKE_METHOD(ListNamespaces)
  WEFT_FAKE_METHOD(StartWorkflowExecution)
  WEFT_FAKE_METHOD(GetWorkflowExecutionHistory)
  WEFT_FAKE_METHOD(DescribeWorkflowExecution)
  WEFT_FAKE_METHOD(ListWorkflowExecutions)
  WEFT_FAKE_METHOD(SignalWorkflowExecution)
  WEFT_FAKE_METHOD(RequestCancelWorkflowExecution)
  WEFT_FAKE_METHOD(TerminateWorkflowExecution)
  WEFT_FAKE_METHOD(QueryWorkflow)
#undef WEFT_FAKE_METHOD

 private:
  std::mutex mu_;
};

struct CliRun {
  int exit_code;
  std::string out;
  std::string err;
};

template <typename Message>
Message Parse(const std::string& text_proto) {
  Message m;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text_proto, &m)) << text_proto;
  return m;
}

class CliAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("WEFT_ADDRESS");
    unsetenv("WEFT_NAMESPACE");
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  }

  // Starts the fake on a port the OS picks; call after setting handlers.
  void StartServer() {
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

  // Runs `weft --address <fake> args...`.
  CliRun Run(std::vector<std::string> args, bool with_address = true) {
    std::vector<std::string> full = {"weft"};
    if (with_address) {
      full.push_back("--address");
      full.push_back(address_);
    }
    full.insert(full.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const std::string& a : full) argv.push_back(a.c_str());
    std::ostringstream out, err;
    const int code = RunCli(static_cast<int>(argv.size()), argv.data(), out, err);
    return CliRun{code, out.str(), err.str()};
  }

  FakeWorkflowService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_ = "127.0.0.1:1";
};

// ---- workflow start ----

TEST_F(CliAppTest, StartSendsEverythingAndPrintsIds) {
  service_.StartWorkflowExecution_handler = [](auto*, const auto&, auto* r) {
    r->set_run_id("run-7");
    r->set_started(true);
    return grpc::Status::OK;
  };
  StartServer();
  CliRun run = Run({"workflow",
                    "start",
                    "--task-queue",
                    "greetings",
                    "--type",
                    "Greet",
                    "--workflow-id",
                    "greet-1",
                    "--input",
                    "\"world\"",
                    "--input",
                    "[1, 2]",
                    "--input={\"a\": -5}",
                    "--input",
                    "-5",
                    "--execution-timeout",
                    "1h",
                    "--run-timeout",
                    "30m",
                    "--task-timeout",
                    "10s",
                    "--id-reuse-policy",
                    "reject-duplicate",
                    "-n",
                    "payments"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, "workflow_id=greet-1 run_id=run-7\n");
  EXPECT_EQ(run.err, "");

  auto requests = service_.StartWorkflowExecution_requests();
  ASSERT_EQ(requests.size(), 1u);
  const v1::StartWorkflowExecutionRequest& r = requests[0];
  EXPECT_EQ(r.namespace_(), "payments");
  EXPECT_EQ(r.workflow_id(), "greet-1");
  EXPECT_EQ(r.workflow_type().name(), "Greet");
  EXPECT_EQ(r.task_queue().name(), "greetings");
  ASSERT_EQ(r.input().payloads_size(), 4);
  EXPECT_EQ(r.input().payloads(0).data(), "\"world\"");
  EXPECT_EQ(r.input().payloads(1).data(), "[1,2]");  // one argument, not split by the parser
  EXPECT_EQ(r.input().payloads(2).data(), "{\"a\":-5}");
  EXPECT_EQ(r.input().payloads(3).data(), "-5");
  EXPECT_EQ(r.input().payloads(0).metadata().at("encoding"), "json/plain");
  EXPECT_EQ(r.workflow_execution_timeout().seconds(), 3600);
  EXPECT_EQ(r.workflow_run_timeout().seconds(), 1800);
  EXPECT_EQ(r.workflow_task_timeout().seconds(), 10);
  EXPECT_EQ(r.workflow_id_reuse_policy(), v1::WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE);
  EXPECT_THAT(r.request_id(), MatchesRegex(kUuidV4));
  EXPECT_THAT(r.identity(), StartsWith("weft-cli"));
}

TEST_F(CliAppTest, StartGeneratesUuidWorkflowIdAndPrintsJson) {
  service_.StartWorkflowExecution_handler = [](auto*, const auto&, auto* r) {
    r->set_run_id("run-8");
    return grpc::Status::OK;
  };
  StartServer();
  CliRun run = Run({"workflow", "start", "-q", "q", "-t", "T", "--output", "json"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  auto requests = service_.StartWorkflowExecution_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_THAT(requests[0].workflow_id(), MatchesRegex(kUuidV4));
  EXPECT_NE(requests[0].workflow_id(), requests[0].request_id());
  EXPECT_EQ(requests[0].namespace_(), "default");
  EXPECT_FALSE(requests[0].has_input());
  EXPECT_THAT(run.out,
              MatchesRegex(absl::StrCat(
                  "\\{\"run_id\":\"run-8\",\"trace_id\":\"[0-9a-f]{32}\",\"workflow_id\":\"",
                  requests[0].workflow_id(), "\"\\}\n")));
}

TEST_F(CliAppTest, StartAndSignalSendTheGivenTraceparent) {
  const std::string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  std::mutex mu;
  std::vector<std::string> sent;
  auto record = [&](grpc::ServerContext* ctx) {
    auto it = ctx->client_metadata().find("traceparent");
    std::lock_guard<std::mutex> lock(mu);
    sent.push_back(it == ctx->client_metadata().end()
                       ? ""
                       : std::string(it->second.data(), it->second.size()));
  };
  service_.StartWorkflowExecution_handler = [&](grpc::ServerContext* ctx, const auto&, auto* r) {
    record(ctx);
    r->set_run_id("run-9");
    return grpc::Status::OK;
  };
  service_.SignalWorkflowExecution_handler = [&](grpc::ServerContext* ctx, const auto&, auto*) {
    record(ctx);
    return grpc::Status::OK;
  };
  StartServer();
  CliRun start = Run({"workflow", "start", "-q", "q", "-t", "T", "-w", "w1", "--traceparent", tp});
  ASSERT_EQ(start.exit_code, kExitOk) << start.err;
  EXPECT_EQ(start.out, "workflow_id=w1 run_id=run-9 trace_id=4bf92f3577b34da6a3ce929d0e0e4736\n");
  CliRun signal = Run({"workflow", "signal", "-w", "w1", "--name", "go", "--traceparent", tp});
  ASSERT_EQ(signal.exit_code, kExitOk) << signal.err;
  CliRun plain = Run({"workflow", "signal", "-w", "w1", "--name", "go"});
  ASSERT_EQ(plain.exit_code, kExitOk) << plain.err;
  CliRun bad = Run({"workflow", "start", "-q", "q", "-t", "T", "--traceparent", "00-abc"});
  EXPECT_NE(bad.exit_code, kExitOk);
  EXPECT_THAT(bad.err, HasSubstr("--traceparent \"00-abc\" is not a W3C traceparent"));
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(sent.size(), 3u);  // the malformed one never left the CLI
  EXPECT_EQ(sent[0], tp);
  EXPECT_EQ(sent[1], tp);
  EXPECT_THAT(sent[2], MatchesRegex("00-[0-9a-f]{32}-[0-9a-f]{16}-01"));
  EXPECT_NE(sent[2], tp);
}

TEST_F(CliAppTest, StartRejectsInvalidJsonBeforeAnyCall) {
  StartServer();
  CliRun run = Run({"workflow", "start", "-q", "q", "-t", "T", "--input", "world"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, StartsWith("weft: --input is not valid JSON: 'world'"));
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1);
  EXPECT_TRUE(service_.StartWorkflowExecution_requests().empty());
}

TEST_F(CliAppTest, StartRejectsBadDurationAndPolicy) {
  StartServer();
  CliRun run = Run({"workflow", "start", "-q", "q", "-t", "T", "--run-timeout", "10 minutes"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, StartsWith("weft: --run-timeout: invalid duration \"10 minutes\""));
  run = Run({"workflow", "start", "-q", "q", "-t", "T", "--id-reuse-policy", "never"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("--id-reuse-policy"));
  run = Run({"workflow", "start", "-t", "T"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("--task-queue is required"));
  EXPECT_TRUE(service_.StartWorkflowExecution_requests().empty());
}

// ---- errors ----

TEST_F(CliAppTest, ServerErrorIsOneLineWithCode) {
  service_.DescribeWorkflowExecution_handler = [](auto*, const auto&, auto*) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "workflow \"x\" not found in namespace \"default\"");
  };
  StartServer();
  CliRun run = Run({"workflow", "describe", "--workflow-id", "x"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "weft: workflow \"x\" not found in namespace \"default\" (NOT_FOUND)\n");
}

TEST_F(CliAppTest, UnreachableServerNamesTheAddress) {
  // No server: nothing listens on port 1.
  CliRun run = Run({"namespace", "list"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, StartsWith("weft: cannot reach the server at 127.0.0.1:1: "));
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1);
}

TEST_F(CliAppTest, AddressAndNamespaceFromEnvironment) {
  StartServer();
  setenv("WEFT_ADDRESS", address_.c_str(), 1);
  setenv("WEFT_NAMESPACE", "from-env", 1);
  CliRun run = Run({"workflow", "cancel", "-w", "w1"}, /*with_address=*/false);
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  // A flag beats the environment, and global flags may follow the subcommand.
  run = Run({"workflow", "cancel", "-w", "w2", "--namespace", "from-flag"}, false);
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  auto requests = service_.RequestCancelWorkflowExecution_requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].namespace_(), "from-env");
  EXPECT_EQ(requests[1].namespace_(), "from-flag");
}

TEST_F(CliAppTest, UsageErrorsAndHelp) {
  CliRun bare = Run({}, /*with_address=*/false);
  EXPECT_EQ(bare.exit_code, kExitError);
  EXPECT_THAT(bare.out, HasSubstr("Usage: weft"));
  CliRun run = Run({"workflow", "bogus"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, StartsWith("weft: "));
  run = Run({"--output", "yaml", "namespace", "list"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("--output"));
  run = Run({"workflow", "result", "--help"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.out, HasSubstr("--timeout"));
  EXPECT_THAT(run.out, HasSubstr("2  --timeout passed before the workflow closed"));
  EXPECT_THAT(run.out, HasSubstr("1  the workflow failed"));
}

// ---- workflow result ----

v1::HistoryEvent CompletedEvent(const std::string& result_json) {
  v1::HistoryEvent e;
  e.set_event_id(9);
  e.set_event_type(v1::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  auto* p =
      e.mutable_workflow_execution_completed_event_attributes()->mutable_result()->add_payloads();
  (*p->mutable_metadata())["encoding"] = "json/plain";
  p->set_data(result_json);
  return e;
}

TEST_F(CliAppTest, ResultRepollsUntilTheCloseEvent) {
  std::atomic<int> calls{0};
  service_.GetWorkflowExecutionHistory_handler = [&calls](auto*, const auto&, auto* r) {
    const int n = ++calls;
    if (n == 1) {
      r->set_next_page_token("tok-1");  // long poll expired with nothing new
      return grpc::Status::OK;
    }
    if (n == 2) return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "poll expired");
    *r->mutable_history()->add_events() = CompletedEvent("\"hello world\"");
    return grpc::Status::OK;
  };
  StartServer();
  CliRun run = Run({"workflow", "result", "-w", "greet-1", "-r", "run-7"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, "\"hello world\"\n");
  EXPECT_EQ(run.err, "");
  auto requests = service_.GetWorkflowExecutionHistory_requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& r : requests) {
    EXPECT_TRUE(r.wait_new_event());
    EXPECT_EQ(r.history_event_filter_type(), v1::HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
    EXPECT_EQ(r.namespace_(), "default");
    EXPECT_EQ(r.execution().workflow_id(), "greet-1");
    EXPECT_EQ(r.execution().run_id(), "run-7");
  }
  EXPECT_EQ(requests[0].next_page_token(), "");
  EXPECT_EQ(requests[1].next_page_token(), "tok-1");
}

TEST_F(CliAppTest, ResultOfSeveralPayloadsIsAnArray) {
  service_.GetWorkflowExecutionHistory_handler = [](auto*, const auto&, auto* r) {
    v1::HistoryEvent e = CompletedEvent("1");
    auto* p =
        e.mutable_workflow_execution_completed_event_attributes()->mutable_result()->add_payloads();
    p->set_data("{\"b\": true}");
    *r->mutable_history()->add_events() = e;
    return grpc::Status::OK;
  };
  StartServer();
  CliRun run = Run({"workflow", "result", "-w", "w", "-o", "json"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, "[1,{\"b\":true}]\n");
}

TEST_F(CliAppTest, ResultOfFailedWorkflowExitsOne) {
  service_.GetWorkflowExecutionHistory_handler = [](auto*, const auto&, auto* r) {
    *r->mutable_history()->add_events() = Parse<v1::HistoryEvent>(R"pb(
      event_id: 12
      event_type: EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
      workflow_execution_failed_event_attributes { failure { message: "out of stock" } })pb");
    return grpc::Status::OK;
  };
  StartServer();
  CliRun run = Run({"workflow", "result", "-w", "order-1"});
  EXPECT_EQ(run.exit_code, kExitWorkflowNotCompleted);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "weft: workflow \"order-1\" failed: \"out of stock\"\n");
}

TEST_F(CliAppTest, ResultOfTerminatedWorkflowExitsOne) {
  service_.GetWorkflowExecutionHistory_handler = [](auto*, const auto&, auto* r) {
    *r->mutable_history()->add_events() = Parse<v1::HistoryEvent>(R"pb(
      event_type: EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED
      workflow_execution_terminated_event_attributes { reason: "bad deploy" })pb");
    return grpc::Status::OK;
  };
  StartServer();
  CliRun run = Run({"workflow", "result", "-w", "w"});
  EXPECT_EQ(run.exit_code, kExitWorkflowNotCompleted);
  EXPECT_EQ(run.err, "weft: workflow \"w\" was terminated: reason \"bad deploy\"\n");
}

TEST_F(CliAppTest, ResultGivesUpAtTimeout) {
  // Like the real server: hold the poll until the caller's deadline.
  service_.GetWorkflowExecutionHistory_handler = [](grpc::ServerContext* ctx, const auto&, auto*) {
    while (!ctx->IsCancelled() && std::chrono::system_clock::now() < ctx->deadline()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return grpc::Status::OK;
  };
  StartServer();
  const absl::Time start = absl::Now();
  CliRun run = Run({"workflow", "result", "-w", "slow", "--timeout", "300ms"});
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(run.exit_code, kExitWaitTimedOut);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "weft: workflow \"slow\" did not close within 300ms (--timeout)\n");
  EXPECT_GE(took, absl::Milliseconds(300));
  EXPECT_LT(took, absl::Seconds(10));
}

TEST_F(CliAppTest, ResultNotFoundIsAnError) {
  service_.GetWorkflowExecutionHistory_handler = [](auto*, const auto&, auto*) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "workflow \"nope\" not found");
  };
  StartServer();
  CliRun run = Run({"workflow", "result", "-w", "nope"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_EQ(run.err, "weft: workflow \"nope\" not found (NOT_FOUND)\n");
  EXPECT_EQ(service_.GetWorkflowExecutionHistory_requests().size(), 1u);
}

TEST_F(CliAppTest, ResultFollowsContinueAsNewToTheLastRun) {
  service_.GetWorkflowExecutionHistory_handler = [](auto*, const auto& req, auto* r) {
    v1::HistoryEvent e;
    if (req.execution().run_id() == "run-1" || req.execution().run_id() == "run-2") {
      e.set_event_type(v1::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
      e.mutable_workflow_execution_continued_as_new_event_attributes()->set_new_execution_run_id(
          req.execution().run_id() == "run-1" ? "run-2" : "run-3");
    } else {
      e = CompletedEvent("5");
    }
    *r->mutable_history()->add_events() = e;
    return grpc::Status::OK;
  };
  StartServer();
  CliRun run = Run({"workflow", "result", "-w", "chain", "-r", "run-1"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, "5\n");
  auto requests = service_.GetWorkflowExecutionHistory_requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].execution().run_id(), "run-2");
  EXPECT_EQ(requests[2].execution().run_id(), "run-3");
  EXPECT_EQ(requests[2].execution().workflow_id(), "chain");
}

// ---- query ----

TEST_F(CliAppTest, QuerySendsNameAndArgumentsAndPrintsTheAnswer) {
  service_.QueryWorkflow_handler = [](auto*, const auto&, auto* r) {
    auto* p = r->mutable_query_result()->add_payloads();
    (*p->mutable_metadata())["encoding"] = "json/plain";
    p->set_data("{\"count\":3}");
    return grpc::Status::OK;
  };
  StartServer();
  CliRun run = Run({"workflow", "query", "-w", "counter-1", "--name", "count", "--input", "[1,2]",
                    "--input", "\"x\""});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, "{\"count\":3}\n");
  auto requests = service_.QueryWorkflow_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].namespace_(), "default");
  EXPECT_EQ(requests[0].execution().workflow_id(), "counter-1");
  EXPECT_EQ(requests[0].execution().run_id(), "");
  EXPECT_EQ(requests[0].query().query_type(), "count");
  ASSERT_EQ(requests[0].query().query_args().payloads_size(), 2);
  EXPECT_EQ(requests[0].query().query_args().payloads(0).data(), "[1,2]");
  EXPECT_EQ(requests[0].query().query_args().payloads(1).data(), "\"x\"");
}

TEST_F(CliAppTest, QueryFailureIsOneLineAndExitsThree) {
  service_.QueryWorkflow_handler = [](auto*, const auto&, auto*) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "unknown query type 'x' (known: count)");
  };
  StartServer();
  CliRun run = Run({"workflow", "query", "-w", "counter-1", "--name", "x"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("unknown query type 'x' (known: count)"));
  EXPECT_EQ(run.out, "");

  CliRun missing = Run({"workflow", "query", "-w", "counter-1"});
  EXPECT_EQ(missing.exit_code, kExitError);
  EXPECT_THAT(missing.err, HasSubstr("--name"));
}

// ---- describe, list, history ----

TEST_F(CliAppTest, DescribeTextAndJson) {
  service_.DescribeWorkflowExecution_handler = [](auto*, const auto&, auto* r) {
    *r = Parse<v1::DescribeWorkflowExecutionResponse>(R"pb(
      workflow_execution_info {
        execution { workflow_id: "order-1" run_id: "r-1" }
        type { name: "ProcessOrder" }
        task_queue: "orders"
        status: WORKFLOW_EXECUTION_STATUS_RUNNING
        history_length: 5
      }
      pending_activities {
        activity_id: "2"
        activity_type { name: "Charge" }
        attempt: 2
      })pb");
    return grpc::Status::OK;
  };
  StartServer();
  CliRun run = Run({"workflow", "describe", "-w", "order-1"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("Status:          Running\n"));
  EXPECT_THAT(run.out, HasSubstr("  activity_id=2 type=Charge state=- attempt=2\n"));
  run = Run({"workflow", "describe", "-w", "order-1", "-o", "json"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_THAT(run.out, StartsWith("{\"workflow_execution_info\":{\"execution\":{\"workflow_id\":"
                                  "\"order-1\",\"run_id\":\"r-1\"}"));
  EXPECT_THAT(run.out, HasSubstr("\"status\":\"WORKFLOW_EXECUTION_STATUS_RUNNING\""));
}

TEST_F(CliAppTest, ListPagesThroughAndHonorsLimitAndFilters) {
  service_.ListWorkflowExecutions_handler = [](auto*, const auto& req, auto* r) {
    // Three pages of two.
    const std::string page = req.next_page_token().empty() ? "0" : req.next_page_token();
    for (int i = 0; i < 2; ++i) {
      auto* e = r->add_executions();
      e->mutable_execution()->set_workflow_id(absl::StrCat("wf-", page, "-", i));
      e->mutable_execution()->set_run_id("r");
      e->mutable_type()->set_name("T");
      e->set_status(v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
    }
    if (page == "0") r->set_next_page_token("1");
    if (page == "1") r->set_next_page_token("2");
    return grpc::Status::OK;
  };
  StartServer();
  CliRun run = Run({"workflow", "list", "--status", "completed", "--type", "T"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out,
            "WORKFLOW ID  RUN ID  TYPE  STATUS     START TIME\n"
            "wf-0-0       r       T     Completed  -\n"
            "wf-0-1       r       T     Completed  -\n"
            "wf-1-0       r       T     Completed  -\n"
            "wf-1-1       r       T     Completed  -\n"
            "wf-2-0       r       T     Completed  -\n"
            "wf-2-1       r       T     Completed  -\n");
  auto requests = service_.ListWorkflowExecutions_requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].status(), v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  EXPECT_EQ(requests[0].workflow_type(), "T");

  run = Run({"workflow", "list", "--limit", "3", "-o", "json"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '{'), 1 + 3 * 3);  // 3 rows
  EXPECT_THAT(run.out, HasSubstr("wf-1-0"));
  EXPECT_THAT(run.out, ::testing::Not(HasSubstr("wf-1-1")));
  EXPECT_EQ(service_.ListWorkflowExecutions_requests().size(), 5u);  // 3 + 2 pages

  run = Run({"workflow", "list", "--limit", "0"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("--limit"));
  EXPECT_EQ(service_.ListWorkflowExecutions_requests().size(), 5u);

  run = Run({"workflow", "list", "--status", "done"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("--status"));
}

TEST_F(CliAppTest, HistoryPrintsAllPages) {
  service_.GetWorkflowExecutionHistory_handler = [](auto*, const auto& req, auto* r) {
    if (req.next_page_token().empty()) {
      *r->mutable_history()->add_events() = Parse<v1::HistoryEvent>(R"pb(
        event_id: 1
        event_time { seconds: 1714564800 }
        event_type: EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
        workflow_execution_started_event_attributes {
          workflow_type { name: "Greet" }
          task_queue { name: "q" }
        })pb");
      r->set_next_page_token("p2");
    } else {
      *r->mutable_history()->add_events() = Parse<v1::HistoryEvent>(R"pb(
        event_id: 2
        event_time { seconds: 1714564801 }
        event_type: EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
        workflow_task_scheduled_event_attributes { task_queue { name: "q" } })pb");
    }
    return grpc::Status::OK;
  };
  StartServer();
  CliRun run = Run({"workflow", "history", "-w", "w"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out,
            "    1  2024-05-01T12:00:00.000Z  WorkflowExecutionStarted            type=Greet "
            "task_queue=q\n"
            "    2  2024-05-01T12:00:01.000Z  WorkflowTaskScheduled               task_queue=q\n");
  for (const auto& r : service_.GetWorkflowExecutionHistory_requests()) {
    EXPECT_FALSE(r.wait_new_event());
  }
  run = Run({"workflow", "history", "-w", "w", "-o", "json"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_THAT(run.out, StartsWith("{\"events\":[{\"event_id\":\"1\""));
  EXPECT_THAT(run.out, HasSubstr("{\"event_id\":\"2\""));
}

// ---- signal, cancel, terminate ----

TEST_F(CliAppTest, SignalCancelTerminate) {
  StartServer();
  CliRun run =
      Run({"workflow", "signal", "-w", "w", "--name", "approve", "--input", "{\"by\": \"bob\"}"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, "signal \"approve\" sent to workflow \"w\"\n");
  auto signals = service_.SignalWorkflowExecution_requests();
  ASSERT_EQ(signals.size(), 1u);
  EXPECT_EQ(signals[0].signal_name(), "approve");
  EXPECT_EQ(signals[0].workflow_execution().workflow_id(), "w");
  ASSERT_EQ(signals[0].input().payloads_size(), 1);
  EXPECT_EQ(signals[0].input().payloads(0).data(), "{\"by\":\"bob\"}");
  EXPECT_THAT(signals[0].request_id(), MatchesRegex(kUuidV4));

  run = Run({"workflow", "cancel", "-w", "w", "--reason", "no longer needed"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, "cancellation requested for workflow \"w\"\n");
  EXPECT_EQ(service_.RequestCancelWorkflowExecution_requests().at(0).reason(), "no longer needed");

  run = Run({"workflow", "terminate", "-w", "w", "-r", "run-1"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("--reason is required"));
  run = Run({"workflow", "terminate", "-w", "w", "-r", "run-1", "--reason", "stuck", "-o", "json"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, "{}\n");
  auto terminations = service_.TerminateWorkflowExecution_requests();
  ASSERT_EQ(terminations.size(), 1u);
  EXPECT_EQ(terminations[0].reason(), "stuck");
  EXPECT_EQ(terminations[0].workflow_execution().run_id(), "run-1");
}

// ---- namespaces ----

TEST_F(CliAppTest, NamespaceCreateDescribeList) {
  service_.DescribeNamespace_handler = [](auto*, const auto& req, auto* r) {
    r->mutable_namespace_info()->set_name(req.namespace_());
    r->mutable_namespace_info()->mutable_workflow_execution_retention_ttl()->set_seconds(86400);
    return grpc::Status::OK;
  };
  service_.ListNamespaces_handler = [](auto*, const auto& req, auto* r) {
    r->add_namespaces()->set_name(req.next_page_token().empty() ? "default" : "payments");
    if (req.next_page_token().empty()) r->set_next_page_token("more");
    return grpc::Status::OK;
  };
  service_.RegisterNamespace_handler = [](auto*, const auto& req, auto*) {
    if (req.namespace_() == "taken") {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "namespace \"taken\" already exists");
    }
    return grpc::Status::OK;
  };
  StartServer();
  CliRun run =
      Run({"namespace", "create", "payments", "--description", "money", "--retention", "3d"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, "namespace \"payments\" registered\n");
  auto registered = service_.RegisterNamespace_requests();
  ASSERT_EQ(registered.size(), 1u);
  EXPECT_EQ(registered[0].namespace_(), "payments");
  EXPECT_EQ(registered[0].description(), "money");
  EXPECT_EQ(registered[0].workflow_execution_retention_period().seconds(), 3 * 86400);

  run = Run({"namespace", "create", "x", "--retention", "3days"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, StartsWith("weft: --retention: invalid duration \"3days\""));
  run = Run({"namespace", "create", "taken"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_EQ(run.err, "weft: namespace \"taken\" already exists (ALREADY_EXISTS)\n");

  run = Run({"namespace", "describe", "payments"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("Name:         payments\n"));
  EXPECT_THAT(run.out, HasSubstr("Retention:    1d\n"));

  run = Run({"namespace", "list"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out,
            "NAME      RETENTION  DESCRIPTION\n"
            "default   -\n"
            "payments  -\n");
}

}  // namespace
}  // namespace weft::cli
