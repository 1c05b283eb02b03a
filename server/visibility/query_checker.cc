#include "server/visibility/query_checker.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace weft::visibility {
namespace {

absl::Status Unknown(const std::string& name, int column, const Schema& schema) {
  return absl::InvalidArgumentError(absl::StrCat("query: unknown search attribute '", name,
                                                 "' at column ", column,
                                                 "; valid names: ", schema.ValidNames()));
}

absl::Status BadOp(const Attr& a, const std::string& op, int column) {
  return absl::InvalidArgumentError(absl::StrCat("query: ", op, " cannot be used with ", a.name,
                                                 " (", TypeName(a.type), ") at column ", column));
}

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80) {
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool TextContains(const Value& attr, const Value& lit) {
  auto have = Words(attr.s);
  for (const auto& w : Words(lit.s)) {
    if (std::find(have.begin(), have.end(), w) == have.end()) return false;
  }
  return true;
}

bool CompareHolds(int c, CmpOp op) {
  switch (op) {
    case CmpOp::kEq:
      return c == 0;
    case CmpOp::kNe:
      return c != 0;
    case CmpOp::kLt:
      return c < 0;
    case CmpOp::kLe:
      return c <= 0;
    case CmpOp::kGt:
      return c > 0;
    case CmpOp::kGe:
      return c >= 0;
  }
  return false;
}

bool Equal(const Attr& a, const Value& have, const Value& want) {
  if (a.type == AttrType::kText) return TextContains(have, want);
  return Compare(have, want) == 0;
}

}  // namespace

absl::Status CheckExpr(Expr& e, const Schema& schema) {
  switch (e.kind) {
    case Expr::Kind::kAnd:
    case Expr::Kind::kOr:
      if (auto s = CheckExpr(*e.lhs, schema); !s.ok()) return s;
      return CheckExpr(*e.rhs, schema);
    case Expr::Kind::kNot:
      return CheckExpr(*e.lhs, schema);
    default:
      break;
  }
  const Attr* a = schema.Find(e.name);
  if (a == nullptr) return Unknown(e.name, e.name_column, schema);
  const int col = e.name_column;
  const bool ordered = a->type == AttrType::kKeyword || a->type == AttrType::kInt ||
                       a->type == AttrType::kDouble || a->type == AttrType::kDatetime;
  switch (e.kind) {
    case Expr::Kind::kCompare:
      if (e.op != CmpOp::kEq && e.op != CmpOp::kNe && !ordered) {
        return BadOp(*a, CmpOpText(e.op), col);
      }
      break;
    case Expr::Kind::kBetween:
      if (!ordered) return BadOp(*a, "BETWEEN", col);
      break;
    case Expr::Kind::kIn:
      if (a->type == AttrType::kText || a->type == AttrType::kBool) return BadOp(*a, "IN", col);
      break;
    case Expr::Kind::kStartsWith:
      if (a->type != AttrType::kKeyword && a->type != AttrType::kKeywordList) {
        return BadOp(*a, "STARTS_WITH", col);
      }
      break;
    default:
      break;
  }
  e.name = a->name;
  e.values.clear();
  for (const auto& l : e.literals) {
    auto v = ToValue(l, *a);
    if (!v.ok()) return v.status();
    e.values.push_back(std::move(*v));
  }
  return absl::OkStatus();
}

absl::Status CheckQuery(Query& q, const Schema& schema, bool allow_order_by) {
  if (q.where) {
    if (auto s = CheckExpr(*q.where, schema); !s.ok()) return s;
  }
  if (q.has_order_by) {
    if (!allow_order_by) {
      return absl::InvalidArgumentError(
          "query: ORDER BY is not allowed here (CountWorkflowExecutions counts; it does not "
          "sort)");
    }
    const Attr* a = schema.Find(q.order_by);
    if (a == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("query: cannot ORDER BY unknown attribute '",
                                                     q.order_by,
                                                     "'; valid names: ", schema.ValidNames()));
    }
    if (a->type == AttrType::kText || a->type == AttrType::kKeywordList) {
      return absl::InvalidArgumentError(absl::StrCat("query: cannot ORDER BY ", a->name, " (",
                                                     TypeName(a->type),
                                                     "): sort by a Keyword, Int, Double, Bool "
                                                     "or Datetime attribute"));
    }
    q.order_by = a->name;
  }
  return absl::OkStatus();
}

bool Matches(const Expr& e, const internal::VisibilityRecord& r, const Schema& schema) {
  switch (e.kind) {
    case Expr::Kind::kAnd:
      return Matches(*e.lhs, r, schema) && Matches(*e.rhs, r, schema);
    case Expr::Kind::kOr:
      return Matches(*e.lhs, r, schema) || Matches(*e.rhs, r, schema);
    case Expr::Kind::kNot:
      return !Matches(*e.lhs, r, schema);
    default:
      break;
  }
  const Attr* a = schema.Find(e.name);
  if (a == nullptr) return false;
  std::vector<Value> have = ValuesOf(r, *a);
  auto any = [&](auto&& pred) {
    for (const auto& v : have) {
      if (pred(v)) return true;
    }
    return false;
  };
  switch (e.kind) {
    case Expr::Kind::kIsNull:
      return have.empty();
    case Expr::Kind::kIsNotNull:
      return !have.empty();
    case Expr::Kind::kCompare:
      if (e.op == CmpOp::kEq) return any([&](const Value& v) { return Equal(*a, v, e.values[0]); });
      if (e.op == CmpOp::kNe) {
        return !any([&](const Value& v) { return Equal(*a, v, e.values[0]); });
      }
      return any([&](const Value& v) { return CompareHolds(Compare(v, e.values[0]), e.op); });
    case Expr::Kind::kIn: {
      bool hit = any([&](const Value& v) {
        for (const auto& w : e.values) {
          if (Equal(*a, v, w)) return true;
        }
        return false;
      });
      return e.negated ? !hit : hit;
    }
    case Expr::Kind::kBetween: {
      bool hit = any([&](const Value& v) {
        return Compare(v, e.values[0]) >= 0 && Compare(v, e.values[1]) <= 0;
      });
      return e.negated ? !hit : hit;
    }
    case Expr::Kind::kStartsWith:
      return any([&](const Value& v) { return v.s.rfind(e.values[0].s, 0) == 0; });
    default:
      return false;
  }
}

}  // namespace weft::visibility
