// Client against an in-process fake WorkflowService on a local port: what it sends and how
// it turns the answers into values and statuses.
#include "weft/client.h"

#include <grpc/grpc.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace weft {
namespace {

namespace v1 = api::v1;

class FakeService final : public v1::WorkflowService::Service {
 public:
  grpc::Status QueryWorkflow(grpc::ServerContext*, const v1::QueryWorkflowRequest* req,
                             v1::QueryWorkflowResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu_);
    queries_.push_back(*req);
    if (req->query().query_type() != "count") {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "unknown query type '" + req->query().query_type() + "' (known: count)");
    }
    int add = req->query().query_args().payloads_size() > 0
                  ? FromPayload<int>(req->query().query_args().payloads(0))
                  : 0;
    *resp->mutable_query_result()->add_payloads() = ToPayload(41 + add);
    return grpc::Status::OK;
  }

  // Each run's close event, by run id.
  grpc::Status GetWorkflowExecutionHistory(grpc::ServerContext*,
                                           const v1::GetWorkflowExecutionHistoryRequest* req,
                                           v1::GetWorkflowExecutionHistoryResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu_);
    history_runs_.push_back(req->execution().run_id());
    auto it = close_events_.find(req->execution().run_id());
    if (it == close_events_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no run");
    *resp->mutable_history()->add_events() = it->second;
    return grpc::Status::OK;
  }

  std::mutex mu_;
  std::vector<v1::QueryWorkflowRequest> queries_;
  std::vector<std::string> history_runs_;
  std::map<std::string, v1::HistoryEvent> close_events_;
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    auto client = Client::Connect({.address = absl::StrCat("127.0.0.1:", port), .ns = "ns1"});
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }
  void TearDown() override { server_->Shutdown(std::chrono::system_clock::now()); }

  static v1::HistoryEvent ContinuedAsNew(const std::string& next_run) {
    v1::HistoryEvent e;
    e.set_event_type(v1::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
    e.mutable_workflow_execution_continued_as_new_event_attributes()->set_new_execution_run_id(
        next_run);
    return e;
  }

  FakeService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientTest, QueryEncodesArgumentsAndDecodesTheAnswer) {
  absl::StatusOr<int> count = client_->Query<int>("wf-1", "", "count", 1);
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, 42);
  ASSERT_EQ(service_.queries_.size(), 1u);
  const auto& q = service_.queries_[0];
  EXPECT_EQ(q.namespace_(), "ns1");
  EXPECT_EQ(q.execution().workflow_id(), "wf-1");
  EXPECT_EQ(q.query().query_type(), "count");

  absl::StatusOr<int> unknown = client_->Query<int>("wf-1", "r-1", "nope");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(), "unknown query type 'nope' (known: count)");

  absl::StatusOr<std::string> wrong_type = client_->Query<std::string>("wf-1", "", "count");
  EXPECT_EQ(wrong_type.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ClientTest, GetResultFollowsTheContinueAsNewChain) {
  service_.close_events_["r-1"] = ContinuedAsNew("r-2");
  service_.close_events_["r-2"] = ContinuedAsNew("r-3");
  v1::HistoryEvent done;
  done.set_event_type(v1::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  *done.mutable_workflow_execution_completed_event_attributes()->mutable_result()->add_payloads() =
      ToPayload(5);
  service_.close_events_["r-3"] = done;

  absl::StatusOr<int> result = client_->GetResult<int>("wf-1", "r-1", std::chrono::seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 5);
  EXPECT_EQ(service_.history_runs_, std::vector<std::string>({"r-1", "r-2", "r-3"}));

  // The raw close event of a run is still available.
  absl::StatusOr<v1::HistoryEvent> first =
      client_->GetResultEvent("wf-1", "r-1", std::chrono::seconds(10));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->event_type(), v1::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
}

}  // namespace
}  // namespace weft
