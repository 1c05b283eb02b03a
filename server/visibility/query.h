// The list query language of ListWorkflowExecutions / CountWorkflowExecutions: a small
// SQL-like WHERE clause with an optional ORDER BY (see ListWorkflowExecutionsRequest.query in
// proto/weft/api/v1/workflow_service.proto). ParseQuery() turns the text into an AST; the
// names and literals are checked against the attribute types later (query_checker.h).
//
//   auto q = ParseQuery("WorkflowType = 'Greeting' AND StartTime > '2026-01-01T00:00:00Z'");
//   if (!q.ok()) return q.status();  // INVALID_ARGUMENT naming the column and what was expected
//
// Input is bounded (kMaxQueryLength bytes, kMaxDepth nesting), so hostile text cannot blow
// the stack or take unbounded time.
//
// Thread safety: pure functions; an AST is a value owned by its Query.
#ifndef WEFT_SERVER_VISIBILITY_QUERY_H_
#define WEFT_SERVER_VISIBILITY_QUERY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace weft::visibility {

inline constexpr size_t kMaxQueryLength = 8 * 1024;
inline constexpr int kMaxDepth = 32;
inline constexpr size_t kMaxInValues = 1000;

// A literal as written. Type checking turns it into a typed Value (query_checker.h).
struct Literal {
  enum class Kind { kString, kInt, kDouble, kBool };
  Kind kind = Kind::kString;
  std::string str;  // kString
  int64_t i = 0;    // kInt
  double d = 0;     // kDouble (and kInt, converted)
  bool b = false;   // kBool
  int column = 0;   // 1-based, for error messages
};

// A typed value of an attribute: strings (keyword, text), integers (int, datetime as Unix
// nanoseconds, execution status as the enum number, bool as 0/1) and doubles.
struct Value {
  enum class Kind { kString, kInt, kDouble };
  Kind kind = Kind::kString;
  std::string s;
  int64_t i = 0;
  double d = 0;

  static Value Str(std::string v) { return Value{Kind::kString, std::move(v), 0, 0}; }
  static Value Int(int64_t v) { return Value{Kind::kInt, {}, v, 0}; }
  static Value Double(double v) { return Value{Kind::kDouble, {}, 0, v}; }
};
// Orders values of the same kind; -1, 0, 1.
int Compare(const Value& a, const Value& b);

enum class CmpOp { kEq, kNe, kLt, kLe, kGt, kGe };
const char* CmpOpText(CmpOp op);

struct Expr {
  enum class Kind { kAnd, kOr, kNot, kCompare, kIn, kBetween, kStartsWith, kIsNull, kIsNotNull };
  Kind kind = Kind::kCompare;
  // kAnd / kOr: lhs, rhs; kNot: lhs.
  std::unique_ptr<Expr> lhs, rhs;
  // Predicates: the attribute, the operator and the literals (1 for compare and STARTS_WITH,
  // 2 for BETWEEN, n for IN; kIn with negated=true is NOT IN).
  std::string name;
  int name_column = 0;
  CmpOp op = CmpOp::kEq;
  bool negated = false;
  std::vector<Literal> literals;
  // Filled in by the checker: the literals as typed values.
  std::vector<Value> values;

  std::unique_ptr<Expr> Clone() const;
};

struct Query {
  std::unique_ptr<Expr> where;  // null: every run
  std::string order_by;         // empty: StartTime
  bool order_desc = true;
  bool has_order_by = false;
};

// INVALID_ARGUMENT, "query: <what> at column N", on any syntax error. An empty or all-blank
// text is a query without a WHERE clause.
absl::StatusOr<Query> ParseQuery(std::string_view text);

// The AND of two optional expressions (either may be null).
std::unique_ptr<Expr> And(std::unique_ptr<Expr> a, std::unique_ptr<Expr> b);

// The query as canonical text (for paging-token fingerprints and debugging).
std::string ToString(const Expr& e);

}  // namespace weft::visibility

#endif  // WEFT_SERVER_VISIBILITY_QUERY_H_
