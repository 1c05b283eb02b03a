// Type checking and evaluation of parsed list queries (query.h) against a Schema.
//
//   auto q = ParseQuery(text);
//   if (auto s = CheckQuery(*q, schema, /*allow_order_by=*/true); !s.ok()) return s;
//   bool hit = Matches(*q->where, record, schema);
//
// CheckQuery resolves every name, checks that each operator fits the attribute's type, and
// fills Expr::values with the literals as typed values. Unknown names and wrong types are
// INVALID_ARGUMENT naming the attribute (and the valid names).
//
// Semantics (as Temporal's): a predicate on an attribute a run does not have is false,
// except !=, NOT IN, NOT BETWEEN and IS NULL, which are true. Keyword lists match when any
// element matches. Text '=' matches when every word of the literal is a word of the value
// (case-insensitive).
//
// Thread safety: pure functions.
#ifndef WEFT_SERVER_VISIBILITY_QUERY_CHECKER_H_
#define WEFT_SERVER_VISIBILITY_QUERY_CHECKER_H_

#include "absl/status/status.h"
#include "server/visibility/query.h"
#include "server/visibility/schema.h"
#include "weft/internal/persistence.pb.h"

namespace weft::visibility {

absl::Status CheckQuery(Query& q, const Schema& schema, bool allow_order_by);
absl::Status CheckExpr(Expr& e, const Schema& schema);

// `e` must have passed CheckExpr with the same schema.
bool Matches(const Expr& e, const internal::VisibilityRecord& r, const Schema& schema);

}  // namespace weft::visibility

#endif  // WEFT_SERVER_VISIBILITY_QUERY_CHECKER_H_
