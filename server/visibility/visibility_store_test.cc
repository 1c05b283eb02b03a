#include "server/visibility/visibility_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "server/visibility/query_checker.h"

namespace weft::visibility {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class VisibilityStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft-visibility-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = storage::Store::Open(dir_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    vis_ = std::make_unique<VisibilityStore>(store_.get());
  }
  void TearDown() override {
    vis_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Run i starts at second i; type alternates A/B; Amount = i; every third is closed.
  internal::VisibilityRecord Make(int i, const std::string& ns = "ns1") {
    internal::VisibilityRecord r;
    r.set_namespace_id(ns);
    r.set_workflow_id(absl::StrCat("wf-", i));
    r.set_run_id(absl::StrCat("run-", i));
    r.set_workflow_type(i % 2 == 0 ? "A" : "B");
    r.mutable_start_time()->set_seconds(1767225600 + i);
    r.set_status(i % 3 == 0 ? api::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED
                            : api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
    r.set_task_queue("q");
    api::v1::SearchAttributes in;
    (*in.mutable_indexed_fields())["Amount"].set_data(absl::StrCat(i));
    (*in.mutable_indexed_fields())["Customer"].set_data(absl::StrCat("\"c", i % 5, "\""));
    auto norm = NormalizeSearchAttributes(in, schema_, false);
    EXPECT_TRUE(norm.ok()) << norm.status();
    *r.mutable_search_attributes() = *norm;
    return r;
  }

  void Put(const internal::VisibilityRecord& r) {
    storage::Batch b;
    vis_->AppendWrites(r, &b);
    ASSERT_TRUE(store_->Write(b).ok());
  }

  std::vector<std::string> Ids(const std::string& query, int page_size = 0,
                               std::string* token = nullptr) {
    api::v1::ListWorkflowExecutionsRequest req;
    req.set_query(query);
    req.set_page_size(page_size);
    if (token) req.set_next_page_token(*token);
    auto resp = vis_->List("ns1", schema_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    std::vector<std::string> out;
    if (!resp.ok()) return out;
    for (const auto& e : resp->executions()) out.push_back(e.execution().workflow_id());
    if (token) *token = resp->next_page_token();
    return out;
  }

  std::string Plan(const std::string& query) {
    auto q = ParseQuery(query);
    EXPECT_TRUE(q.ok());
    EXPECT_TRUE(CheckQuery(*q, schema_, true).ok());
    return vis_->Explain("ns1", schema_, q->where.get());
  }

  size_t IndexRows() {
    size_t n = 0;
    EXPECT_TRUE(store_
                    ->ScanPrefix(storage::Cf::kVisibility, "",
                                 [&](std::string_view, std::string_view v) {
                                   n += v.empty() ? 1 : 0;
                                   return true;
                                 })
                    .ok());
    return n;
  }

  Schema schema_{{{"Amount", api::v1::INDEXED_VALUE_TYPE_INT},
                  {"Customer", api::v1::INDEXED_VALUE_TYPE_KEYWORD}}};
  std::string dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<VisibilityStore> vis_;
};

TEST_F(VisibilityStoreTest, ListsNewestFirstAndFilters) {
  for (int i = 1; i <= 6; ++i) Put(Make(i));
  Put(Make(7, "other-namespace"));
  EXPECT_THAT(Ids(""), ElementsAre("wf-6", "wf-5", "wf-4", "wf-3", "wf-2", "wf-1"));
  EXPECT_THAT(Ids("WorkflowType = 'A' ORDER BY StartTime ASC"),
              ElementsAre("wf-2", "wf-4", "wf-6"));
  EXPECT_THAT(Ids("ExecutionStatus = 'Completed'"), ElementsAre("wf-6", "wf-3"));
  EXPECT_THAT(Ids("Amount >= 2 AND Amount < 5"), ElementsAre("wf-4", "wf-3", "wf-2"));
  EXPECT_THAT(Ids("Customer IN ('c1', 'c4') OR Amount = 2"),
              ElementsAre("wf-6", "wf-4", "wf-2", "wf-1"));
  EXPECT_THAT(Ids("StartTime > '2026-01-01T00:00:04Z'"), ElementsAre("wf-6", "wf-5"));
  EXPECT_THAT(Ids("Amount > 0 ORDER BY Customer ASC"),
              ElementsAre("wf-5", "wf-1", "wf-6", "wf-2", "wf-3", "wf-4"));
  EXPECT_THAT(Ids("ORDER BY Amount DESC"),
              ElementsAre("wf-6", "wf-5", "wf-4", "wf-3", "wf-2", "wf-1"));
  auto n = vis_->Count("ns1", schema_, "WorkflowType = 'B' AND ExecutionStatus = 'Running'");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2);  // wf-1, wf-5
  EXPECT_EQ(*vis_->Count("ns1", schema_, ""), 6);
  EXPECT_EQ(*vis_->Count("other-namespace", schema_, ""), 1);
}

TEST_F(VisibilityStoreTest, PagingIsStableWhileRunsAreAdded) {
  for (int i = 1; i <= 5; ++i) Put(Make(i));
  std::string token;
  EXPECT_THAT(Ids("", 2, &token), ElementsAre("wf-5", "wf-4"));
  ASSERT_FALSE(token.empty());
  Put(Make(9));  // newer than every page: does not shift the next pages
  EXPECT_THAT(Ids("", 2, &token), ElementsAre("wf-3", "wf-2"));
  EXPECT_THAT(Ids("", 2, &token), ElementsAre("wf-1"));
  EXPECT_TRUE(token.empty());
  // Index plans and ORDER BY page the same way.
  token.clear();
  EXPECT_THAT(Ids("Customer = 'c1' OR Amount > 0 ORDER BY Amount ASC", 4, &token),
              ElementsAre("wf-1", "wf-2", "wf-3", "wf-4"));
  EXPECT_THAT(Ids("Customer = 'c1' OR Amount > 0 ORDER BY Amount ASC", 4, &token),
              ElementsAre("wf-5", "wf-9"));
  token.clear();
  EXPECT_THAT(Ids("WorkflowType = 'B'", 2, &token), ElementsAre("wf-9", "wf-5"));
  EXPECT_THAT(Ids("WorkflowType = 'B'", 2, &token), ElementsAre("wf-3", "wf-1"));
  EXPECT_TRUE(token.empty());
}

TEST_F(VisibilityStoreTest, BadTokensAreInvalidArgument) {
  for (int i = 1; i <= 3; ++i) Put(Make(i));
  std::string token;
  Ids("", 1, &token);
  api::v1::ListWorkflowExecutionsRequest req;
  req.set_page_size(1);
  req.set_next_page_token("garbage");
  auto r = vis_->List("ns1", schema_, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("malformed"));
  req.set_next_page_token(token);
  req.set_query("WorkflowType = 'A'");
  r = vis_->List("ns1", schema_, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("different query"));
}

TEST_F(VisibilityStoreTest, PlannerPicksTheMostSelectiveIndex) {
  for (int i = 1; i <= 40; ++i) Put(Make(i));
  EXPECT_EQ(Plan(""), "scan StartTime");
  EXPECT_EQ(Plan("Amount = 7"), "index Amount");
  EXPECT_EQ(Plan("WorkflowType = 'A' AND Amount = 7"), "index Amount");
  EXPECT_EQ(Plan("WorkflowType = 'A' AND Customer = 'c1'"), "index Customer");  // 8 < 20
  EXPECT_EQ(Plan("WorkflowType = 'A' OR Amount = 7"), "scan StartTime");        // OR: no index
  EXPECT_EQ(Plan("Amount = 7 AND StartTime = '2026-01-01T00:00:07Z'"), "scan StartTime");
  EXPECT_EQ(Plan("Customer STARTS_WITH 'c3' AND WorkflowType = 'B'"), "index Customer");
  EXPECT_EQ(Plan("WorkflowId != 'x'"), "scan StartTime");
  EXPECT_THAT(Ids("Amount = 7"), ElementsAre("wf-7"));
  EXPECT_THAT(Ids("Customer STARTS_WITH 'c3' AND Amount < 20 ORDER BY StartTime ASC"),
              ElementsAre("wf-3", "wf-8", "wf-13", "wf-18"));
}

TEST_F(VisibilityStoreTest, RewritingARecordMovesItsIndexRows) {
  internal::VisibilityRecord r = Make(1);
  Put(r);
  size_t rows = IndexRows();
  EXPECT_EQ(rows, 6u);  // WorkflowId, WorkflowType, ExecutionStatus, TaskQueue, Amount, Customer
  r.set_status(api::v1::WORKFLOW_EXECUTION_STATUS_FAILED);
  api::v1::SearchAttributes up;
  (*up.mutable_indexed_fields())["Amount"].set_data("null");
  auto norm = NormalizeSearchAttributes(up, schema_, true);
  ASSERT_TRUE(norm.ok());
  ASSERT_TRUE(MergeSearchAttributes(*norm, r.mutable_search_attributes()).ok());
  Put(r);
  EXPECT_EQ(IndexRows(), 5u);
  EXPECT_TRUE(Ids("ExecutionStatus = 'Running'").empty());
  EXPECT_THAT(Ids("ExecutionStatus = 'Failed' AND Amount IS NULL"), ElementsAre("wf-1"));
  EXPECT_TRUE(Ids("Amount = 1").empty());
}

}  // namespace
}  // namespace weft::visibility
