// Search attributes, list queries and CountWorkflowExecutions against a real server
// in-process (real RocksDB, real gRPC on a port the OS picked), driven through weft::Client,
// a weft::Worker and the AdminService stub.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "server/app/weft_server.h"
#include "tests/support/in_process_server.h"
#include "tests/support/temp_dir.h"
#include "weft/api/v1/admin_service.grpc.pb.h"
#include "weft/client.h"
#include "weft/search_attributes.h"
#include "weft/worker.h"
#include "weft/workflow.h"

namespace {

using namespace std::chrono_literals;

weft::Workflow<std::string> Noop(weft::WorkflowContext&) { co_return "done"; }

// Stage "one", then on signal `go` stage "two" and Amount removed.
weft::Workflow<std::string> Upserter(weft::WorkflowContext& ctx) {
  ctx.UpsertSearchAttributes(weft::SearchAttributes().Keyword("Stage", "one").Int("Amount", 5));
  co_await ctx.GetSignalChannel("go").Receive<int>();
  ctx.UpsertSearchAttributes(weft::SearchAttributes().Keyword("Stage", "two").Unset("Amount"));
  co_return "upserted";
}

weft::Workflow<std::string> BadUpserter(weft::WorkflowContext& ctx) {
  ctx.UpsertSearchAttributes(weft::SearchAttributes().Keyword("NotRegistered", "x"));
  co_return "unreachable";
}

class VisibilityIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = weft::testing::StartDevServer(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    const std::string address = weft::testing::GrpcAddress(*server_);
    admin_ = weft::api::v1::AdminService::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    auto client = weft::Client::Connect({.address = address});
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
    worker_ = std::make_unique<weft::Worker>(*client_, weft::WorkerOptions{.task_queue = "vis"});
    worker_->RegisterWorkflow("Noop", Noop);
    worker_->RegisterWorkflow("Upserter", Upserter);
    worker_->RegisterWorkflow("BadUpserter", BadUpserter);
    ASSERT_TRUE(worker_->Start().ok());
    ASSERT_TRUE(AddAttributes({{"Stage", weft::api::v1::INDEXED_VALUE_TYPE_KEYWORD},
                               {"Amount", weft::api::v1::INDEXED_VALUE_TYPE_INT},
                               {"Due", weft::api::v1::INDEXED_VALUE_TYPE_DATETIME},
                               {"Tags", weft::api::v1::INDEXED_VALUE_TYPE_KEYWORD_LIST}})
                    .ok());
  }
  void TearDown() override {
    if (worker_) worker_->Shutdown();
    worker_.reset();
    client_.reset();
    if (server_) server_->Shutdown();
  }

  grpc::Status AddAttributes(std::map<std::string, weft::api::v1::IndexedValueType> attrs) {
    weft::api::v1::AddSearchAttributesRequest req;
    req.set_namespace_("default");
    for (const auto& [k, v] : attrs) (*req.mutable_search_attributes())[k] = v;
    weft::api::v1::AddSearchAttributesResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    return admin_->AddSearchAttributes(&ctx, req, &resp);
  }

  std::vector<std::string> Ids(const std::string& query) {
    auto page = client_->ListWorkflows(query, "", 1000);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> out;
    if (page.ok()) {
      for (const auto& e : page->executions()) out.push_back(e.execution().workflow_id());
    }
    return out;
  }

  // Polls `cond` until it holds or 20 s pass.
  static bool Eventually(const std::function<bool()>& cond) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (cond()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return cond();
  }

  weft::testing::TempDir dir_;
  std::unique_ptr<weft::app::WeftServer> server_;
  std::unique_ptr<weft::api::v1::AdminService::Stub> admin_;
  std::unique_ptr<weft::Client> client_;
  std::unique_ptr<weft::Worker> worker_;
};

TEST_F(VisibilityIntegrationTest, AdminAddsAndListsAttributes) {
  weft::api::v1::ListSearchAttributesRequest req;
  req.set_namespace_("default");
  weft::api::v1::ListSearchAttributesResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(admin_->ListSearchAttributes(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.custom_attributes().at("Stage"), weft::api::v1::INDEXED_VALUE_TYPE_KEYWORD);
  EXPECT_EQ(resp.custom_attributes().size(), 4u);
  EXPECT_EQ(resp.system_attributes().at("StartTime"), weft::api::v1::INDEXED_VALUE_TYPE_DATETIME);
  // Same name and type again: fine. Another type: refused, naming the existing type.
  EXPECT_TRUE(AddAttributes({{"Stage", weft::api::v1::INDEXED_VALUE_TYPE_KEYWORD}}).ok());
  grpc::Status s = AddAttributes({{"Stage", weft::api::v1::INDEXED_VALUE_TYPE_INT}});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(s.error_message().find("already exists with type Keyword"), std::string::npos)
      << s.error_message();
  s = AddAttributes({{"WorkflowType", weft::api::v1::INDEXED_VALUE_TYPE_KEYWORD}});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  s = AddAttributes({{"Fine", weft::api::v1::INDEXED_VALUE_TYPE_UNSPECIFIED}});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(VisibilityIntegrationTest, ListQueryOrderByPagingAndCount) {
  for (int i = 1; i <= 7; ++i) {
    weft::StartWorkflowOptions opts{.id = "wf-" + std::to_string(i), .task_queue = "nobody"};
    opts.search_attributes.Int("Amount", i * 10).Keyword("Stage", i % 2 ? "odd" : "even");
    if (i == 3) opts.search_attributes.KeywordList("Tags", {"red", "vip"});
    ASSERT_TRUE(client_->StartWorkflow("Order", opts).ok());
  }
  EXPECT_EQ(Ids("Stage = 'even'"), (std::vector<std::string>{"wf-6", "wf-4", "wf-2"}));
  EXPECT_EQ(Ids("Amount >= 30 AND Amount <= 50 ORDER BY Amount ASC"),
            (std::vector<std::string>{"wf-3", "wf-4", "wf-5"}));
  EXPECT_EQ(Ids("Tags = 'vip' AND ExecutionStatus = 'Running'"),
            (std::vector<std::string>{"wf-3"}));
  EXPECT_EQ(Ids("WorkflowType = 'Order' ORDER BY StartTime ASC").front(), "wf-1");
  // Paging: 3 + 3 + 1, no duplicates, token empty at the end.
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = client_->ListWorkflows("WorkflowType = 'Order'", token, 3);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& e : page->executions()) seen.push_back(e.execution().workflow_id());
    token = page->next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen,
            (std::vector<std::string>{"wf-7", "wf-6", "wf-5", "wf-4", "wf-3", "wf-2", "wf-1"}));
  auto n = client_->CountWorkflows("Stage = 'odd' AND Amount > 10");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 3);  // 30, 50, 70
  auto all = client_->CountWorkflows();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 7);
  // Describe returns the attributes.
  auto d = client_->Describe("wf-3");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->workflow_execution_info().search_attributes().indexed_fields().at("Amount").data(),
            "30");
}

TEST_F(VisibilityIntegrationTest, BadQueriesAndAttributesAreInvalidArgument) {
  auto expect_invalid = [](const absl::Status& s, const std::string& part) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_NE(s.message().find(part), std::string::npos) << s.message();
  };
  expect_invalid(client_->ListWorkflows("WorkflowType =").status(), "expected a value after '='");
  expect_invalid(client_->ListWorkflows("Stag = 'x'").status(), "unknown search attribute 'Stag'");
  expect_invalid(client_->ListWorkflows("Amount = 'many'").status(), "Amount is an Int");
  expect_invalid(client_->ListWorkflows("", "not-a-token").status(), "next_page_token");
  expect_invalid(client_->CountWorkflows("Stage = 'a' ORDER BY StartTime").status(), "ORDER BY");
  weft::StartWorkflowOptions opts{.task_queue = "nobody"};
  opts.search_attributes.Keyword("Amount", "lots");
  expect_invalid(client_->StartWorkflow("Order", opts).status(),
                 "search attribute \"Amount\" (Int) must be a JSON integer");
  weft::StartWorkflowOptions unknown{.task_queue = "nobody"};
  unknown.search_attributes.Keyword("Nope", "x");
  expect_invalid(client_->StartWorkflow("Order", unknown).status(), "not registered");
}

TEST_F(VisibilityIntegrationTest, UpsertIsVisibleInListAndDescribe) {
  auto run = client_->StartWorkflow("Upserter", {.id = "up-1", .task_queue = "vis"});
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE(Eventually(
      [&] { return Ids("Stage = 'one' AND Amount = 5") == std::vector<std::string>{"up-1"}; }));
  ASSERT_TRUE(client_->Signal("up-1", "", "go", 1).ok());
  auto result = client_->GetResult<std::string>("up-1", run->run_id, 30s);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(Ids("Stage = 'two' AND ExecutionStatus = 'Completed' AND Amount IS NULL"),
            std::vector<std::string>{"up-1"});
  EXPECT_TRUE(Ids("Stage = 'one'").empty());
  EXPECT_TRUE(Ids("Amount = 5").empty());
  auto d = client_->Describe("up-1");
  ASSERT_TRUE(d.ok());
  const auto& fields = d->workflow_execution_info().search_attributes().indexed_fields();
  EXPECT_EQ(fields.at("Stage").data(), "\"two\"");
  EXPECT_FALSE(fields.contains("Amount"));
}

TEST_F(VisibilityIntegrationTest, BadUpsertFailsTheWorkflowTaskWithTheReason) {
  auto run = client_->StartWorkflow("BadUpserter", {.id = "bad-1", .task_queue = "vis"});
  ASSERT_TRUE(run.ok()) << run.status();
  std::string message;
  ASSERT_TRUE(Eventually([&] {
    weft::api::v1::GetWorkflowExecutionHistoryRequest req;
    req.set_namespace_("default");
    req.mutable_execution()->set_workflow_id("bad-1");
    weft::api::v1::GetWorkflowExecutionHistoryResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    if (!client_->stub().GetWorkflowExecutionHistory(&ctx, req, &resp).ok()) return false;
    for (const auto& e : resp.history().events()) {
      if (e.event_type() == weft::api::v1::EVENT_TYPE_WORKFLOW_TASK_FAILED) {
        message = e.workflow_task_failed_event_attributes().failure().message();
        return true;
      }
    }
    return false;
  }));
  EXPECT_NE(message.find("\"NotRegistered\" is not registered"), std::string::npos) << message;
  EXPECT_TRUE(client_->Terminate("bad-1", "", "test done").ok());
}

}  // namespace
