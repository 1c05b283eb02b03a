#include "server/visibility/query.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/visibility/query_checker.h"
#include "server/visibility/schema.h"

namespace weft::visibility {
namespace {

using ::testing::HasSubstr;

Schema TestSchema() {
  return Schema({{"CustomerId", api::v1::INDEXED_VALUE_TYPE_KEYWORD},
                 {"Amount", api::v1::INDEXED_VALUE_TYPE_INT},
                 {"Score", api::v1::INDEXED_VALUE_TYPE_DOUBLE},
                 {"Vip", api::v1::INDEXED_VALUE_TYPE_BOOL},
                 {"Due", api::v1::INDEXED_VALUE_TYPE_DATETIME},
                 {"Notes", api::v1::INDEXED_VALUE_TYPE_TEXT},
                 {"Tags", api::v1::INDEXED_VALUE_TYPE_KEYWORD_LIST}});
}

std::string ParseError(const std::string& q) {
  auto r = ParseQuery(q);
  EXPECT_FALSE(r.ok()) << q;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

std::string CheckError(const std::string& q) {
  auto r = ParseQuery(q);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return "";
  absl::Status s = CheckQuery(*r, TestSchema(), true);
  EXPECT_FALSE(s.ok()) << q;
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.message());
}

TEST(QueryParserTest, ParsesEveryOperatorAndPrintsCanonically) {
  auto q = ParseQuery(
      "WorkflowType = 'Greeting' and (ExecutionStatus != \"Running\" OR HistoryLength >= 10) "
      "AND NOT Amount < -5 AND Amount IN (1, 2,3) AND Score BETWEEN 1.5 AND 2e3 "
      "AND CustomerId STARTS_WITH 'ab' AND CloseTime IS NULL AND ParentWorkflowId IS NOT NULL "
      "AND Amount NOT IN (4) AND Vip = true ORDER BY StartTime asc");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_TRUE(q->has_order_by);
  EXPECT_EQ(q->order_by, "StartTime");
  EXPECT_FALSE(q->order_desc);
  EXPECT_EQ(ToString(*q->where),
            "(((((((((WorkflowType = 'Greeting' AND (ExecutionStatus != 'Running' OR "
            "HistoryLength >= 10)) AND NOT Amount < -5) AND Amount IN (1, 2, 3)) AND Score "
            "BETWEEN 1.5 AND 2000) AND CustomerId STARTS_WITH 'ab') AND CloseTime IS NULL) AND "
            "ParentWorkflowId IS NOT NULL) AND Amount NOT IN (4)) AND Vip = true)");
}

TEST(QueryParserTest, StringEscapes) {
  auto q = ParseQuery(R"(WorkflowId = 'it''s \'quoted\' \\ "x"' OR WorkflowId = "a\"b")");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->where->lhs->literals[0].str, "it's 'quoted' \\ \"x\"");
  EXPECT_EQ(q->where->rhs->literals[0].str, "a\"b");
}

TEST(QueryParserTest, EmptyQueryAndOrderByOnly) {
  auto q = ParseQuery("   ");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->where, nullptr);
  q = ParseQuery("order by CloseTime");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->where, nullptr);
  EXPECT_EQ(q->order_by, "CloseTime");
  EXPECT_TRUE(q->order_desc);
}

TEST(QueryParserTest, SyntaxErrorsSayWhereAndWhat) {
  EXPECT_EQ(ParseError("WorkflowType = AND x = 1"),
            "query: expected a value after '=', found 'AND' at column 16");
  EXPECT_EQ(ParseError("WorkflowType ="),
            "query: expected a value after '=', found the end of the query at the end");
  EXPECT_THAT(ParseError("WorkflowType = 'abc"), HasSubstr("unterminated string"));
  EXPECT_THAT(ParseError("(WorkflowType = 'a'"), HasSubstr("expected ')'"));
  EXPECT_THAT(ParseError("WorkflowType 'a'"), HasSubstr("expected an operator"));
  EXPECT_THAT(ParseError("WorkflowType = 'a' junk"), HasSubstr("column 20"));
  EXPECT_THAT(ParseError("A IN ()"), HasSubstr("expected a value after IN ("));
  EXPECT_THAT(ParseError("A BETWEEN 1 OR 2"), HasSubstr("expected AND in BETWEEN"));
  EXPECT_THAT(ParseError("A IS 3"), HasSubstr("expected NULL after IS"));
  EXPECT_THAT(ParseError("A = 1 ORDER StartTime"), HasSubstr("expected BY after ORDER"));
  EXPECT_THAT(ParseError("A = 99999999999999999999"), HasSubstr("not a 64-bit integer"));
  EXPECT_THAT(ParseError("A = 'x' ; DROP"), HasSubstr("unexpected character ';' at column 9"));
  EXPECT_THAT(ParseError("A = 'x\\q'"), HasSubstr("unknown escape"));
}

TEST(QueryParserTest, HostileInputIsBounded) {
  std::string deep(5000, '(');
  EXPECT_THAT(ParseError(deep + "A = 1"), HasSubstr("nests deeper than 32"));
  std::string nots;
  for (int i = 0; i < 100; ++i) nots += "NOT ";
  EXPECT_THAT(ParseError(nots + "A = 1"), HasSubstr("nests deeper"));
  EXPECT_THAT(ParseError(std::string(kMaxQueryLength + 1, ' ')),
              HasSubstr("longer than the limit"));
  // A long flat chain is fine (and evaluates iteratively deep only to its length).
  std::string chain = "A = 1";
  while (chain.size() + 12 < kMaxQueryLength) chain += " OR A = 1";
  EXPECT_TRUE(ParseQuery(chain).ok());
}

TEST(QueryCheckerTest, UnknownNamesAndWrongTypesAreNamed) {
  EXPECT_THAT(CheckError("Customer = 'x'"),
              HasSubstr("unknown search attribute 'Customer' at column 1; valid names: "
                        "WorkflowId, RunId, WorkflowType"));
  EXPECT_THAT(CheckError("Customer = 'x'"), HasSubstr("CustomerId"));
  EXPECT_EQ(CheckError("Amount = 'ten'"),
            "query: Amount is an Int attribute: expected an integer at column 10");
  EXPECT_THAT(CheckError("StartTime > 'yesterday'"), HasSubstr("expected an RFC 3339 time"));
  EXPECT_THAT(CheckError("ExecutionStatus = 'Done'"), HasSubstr("'Running', 'Completed'"));
  EXPECT_THAT(CheckError("Vip > true"), HasSubstr("> cannot be used with Vip (Bool)"));
  EXPECT_THAT(CheckError("Notes STARTS_WITH 'a'"), HasSubstr("STARTS_WITH cannot be used"));
  EXPECT_THAT(CheckError("WorkflowType = 'a' ORDER BY Tags"), HasSubstr("cannot ORDER BY Tags"));
  EXPECT_THAT(CheckError("ORDER BY Nope"), HasSubstr("unknown attribute 'Nope'"));
  auto q = ParseQuery("WorkflowType = 'a' ORDER BY StartTime");
  ASSERT_TRUE(q.ok());
  EXPECT_THAT(CheckQuery(*q, TestSchema(), false).message(), HasSubstr("ORDER BY is not allowed"));
}

internal::VisibilityRecord Record() {
  internal::VisibilityRecord r;
  r.set_namespace_id("ns");
  r.set_workflow_id("order-17");
  r.set_run_id("run-1");
  r.set_workflow_type("Checkout");
  r.set_status(api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  r.mutable_start_time()->set_seconds(1767225600);  // 2026-01-01T00:00:00Z
  r.set_history_length(12);
  r.set_task_queue("shop");
  auto attrs = NormalizeSearchAttributes(
      [] {
        api::v1::SearchAttributes in;
        auto put = [&](const char* k, const char* json) {
          (*in.mutable_indexed_fields())[k].set_data(json);
        };
        put("CustomerId", "\"c-42\"");
        put("Amount", "250");
        put("Score", "0.75");
        put("Vip", "true");
        put("Due", "\"2026-02-01T10:00:00+01:00\"");
        put("Notes", "\"Gift wrap, express shipping\"");
        put("Tags", "[\"red\",\"blue\"]");
        return in;
      }(),
      TestSchema(), false);
  EXPECT_TRUE(attrs.ok()) << attrs.status();
  *r.mutable_search_attributes() = *attrs;
  return r;
}

bool Eval(const std::string& text) {
  auto q = ParseQuery(text);
  EXPECT_TRUE(q.ok()) << q.status();
  Schema schema = TestSchema();
  EXPECT_TRUE(CheckQuery(*q, schema, true).ok()) << text;
  return Matches(*q->where, Record(), schema);
}

TEST(QueryEvalTest, EvaluatesAgainstARecord) {
  EXPECT_TRUE(Eval("WorkflowType = 'Checkout' AND ExecutionStatus = 'running'"));
  EXPECT_FALSE(Eval("WorkflowType = 'Checkout' AND ExecutionStatus = 'Completed'"));
  EXPECT_TRUE(Eval("StartTime >= '2026-01-01T00:00:00Z' AND StartTime < '2026-01-02'"));
  EXPECT_FALSE(Eval("StartTime > '2026-01-01T00:00:00Z'"));
  EXPECT_TRUE(Eval("Amount BETWEEN 200 AND 300 AND Score > 0.5 AND Vip = true"));
  EXPECT_TRUE(Eval("Amount IN (1, 250) AND Amount NOT IN (3)"));
  EXPECT_TRUE(Eval("Due = '2026-02-01T09:00:00Z'"));  // normalized to UTC
  EXPECT_TRUE(Eval("Notes = 'EXPRESS gift'"));
  EXPECT_FALSE(Eval("Notes = 'overnight'"));
  EXPECT_TRUE(Eval("Tags = 'blue' AND Tags != 'green' AND Tags IN ('x', 'red')"));
  EXPECT_TRUE(Eval("CustomerId STARTS_WITH 'c-' AND WorkflowId STARTS_WITH 'order'"));
  EXPECT_TRUE(Eval("CloseTime IS NULL AND ParentWorkflowId IS NULL AND Amount IS NOT NULL"));
  EXPECT_TRUE(Eval("NOT (HistoryLength > 100) OR RunId = 'nope'"));
  EXPECT_TRUE(Eval("ParentWorkflowId != 'p'"));  // != matches a run without the attribute
}

TEST(SearchAttributesTest, ValidationNamesTheAttributeAndTheFix) {
  auto norm = [](const char* name, const char* json, bool upsert = false) {
    api::v1::SearchAttributes in;
    (*in.mutable_indexed_fields())[name].set_data(json);
    return NormalizeSearchAttributes(in, TestSchema(), upsert).status();
  };
  EXPECT_TRUE(norm("Amount", "12").ok());
  EXPECT_THAT(norm("Amount", "\"12\"").message(),
              HasSubstr("\"Amount\" (Int) must be a JSON integer, not \"12\""));
  EXPECT_THAT(norm("Due", "\"soon\"").message(), HasSubstr("RFC 3339"));
  EXPECT_THAT(norm("Tags", "[1]").message(), HasSubstr("array of strings"));
  EXPECT_THAT(norm("Unknown", "1").message(),
              HasSubstr("\"Unknown\" is not registered in this namespace"));
  EXPECT_THAT(norm("WorkflowType", "\"x\"").message(), HasSubstr("system attribute"));
  EXPECT_THAT(norm("Amount", "null").message(), HasSubstr("null"));
  EXPECT_TRUE(norm("Amount", "null", true).ok());
  EXPECT_THAT(norm("CustomerId", ("\"" + std::string(3000, 'x') + "\"").c_str()).message(),
              HasSubstr("more than the limit of 2048"));
  EXPECT_EQ(ValidateCustomAttributeName("WorkflowType").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCustomAttributeName("order").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCustomAttributeName("1abc").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateCustomAttributeName("Customer_Id2").ok());
}

TEST(SearchAttributesTest, UpsertMergesAndNullRemoves) {
  api::v1::SearchAttributes run = Record().search_attributes();
  api::v1::SearchAttributes in;
  (*in.mutable_indexed_fields())["Amount"].set_data("null");
  (*in.mutable_indexed_fields())["CustomerId"].set_data("\"c-43\"");
  auto up = NormalizeSearchAttributes(in, TestSchema(), true);
  ASSERT_TRUE(up.ok()) << up.status();
  ASSERT_TRUE(MergeSearchAttributes(*up, &run).ok());
  EXPECT_FALSE(run.indexed_fields().contains("Amount"));
  EXPECT_EQ(run.indexed_fields().at("CustomerId").data(), "\"c-43\"");
  EXPECT_EQ(run.indexed_fields().at("CustomerId").metadata().at("type"), "Keyword");
}

}  // namespace
}  // namespace weft::visibility
