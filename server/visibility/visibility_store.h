// VisibilityStore: the `visibility` column family: one record per run plus secondary index
// rows, and the list / count queries over them (DESIGN.md section 4).
//
// Layout (key codec tuples; every key starts with the namespace id):
//   (ns, "r", start_time_nanos, run_id)                          -> VisibilityRecord
//   (ns, "i", attribute, value, start_time_nanos, run_id)        -> "" (index row)
// Index rows exist for WorkflowId, WorkflowType, ExecutionStatus, TaskQueue,
// ParentWorkflowId and every custom attribute except Text (one row per element of a keyword
// list), value-ordered then by start time. The records themselves are the StartTime index.
//
// AppendWrites() adds the record and its index rows to the transition's WriteBatch and removes
// the rows of the run's previous record, so the indexes change atomically with the run.
//
// List/Count plan a query: of the AND-ed predicates an index can answer (=, IN, ranges,
// STARTS_WITH, and StartTime bounds on the records), the one with the fewest rows (counted up
// to a cap) drives the scan; every candidate is then checked against the whole query, so an
// index row never decides a result alone. Results come in StartTime order (DESC unless ASC);
// ORDER BY another attribute sorts the matches in memory (at most kMaxSortedMatches).
// Paging tokens hold the position of the last row returned and a fingerprint of the query:
// stable across pages while runs come and go, opaque, and refused (INVALID_ARGUMENT) when
// malformed or used with another query.
//
// Thread safety: thread-safe (reads and batch building only). Ownership: borrows the Store.
#ifndef WEFT_SERVER_VISIBILITY_VISIBILITY_STORE_H_
#define WEFT_SERVER_VISIBILITY_VISIBILITY_STORE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/visibility/query.h"
#include "server/visibility/schema.h"
#include "storage/store.h"
#include "weft/api/v1/workflow_service.pb.h"
#include "weft/internal/persistence.pb.h"

namespace weft::visibility {

inline constexpr size_t kMaxSortedMatches = 10000;
inline constexpr size_t kEstimateCap = 1000;

std::string RecordKey(const std::string& ns_id, int64_t start_nanos, const std::string& run_id);
std::string RecordPrefix(const std::string& ns_id);
// The index rows of a record (custom attributes are read as their metadata "type" says).
std::vector<std::string> IndexKeys(const internal::VisibilityRecord& r);

class VisibilityStore {
 public:
  explicit VisibilityStore(storage::Store* store) : store_(store) {}

  // Adds to `batch` the record and its index rows, and deletes the index rows of the run's
  // current record that the new one no longer has.
  void AppendWrites(const internal::VisibilityRecord& record, storage::Batch* batch) const;

  // ListWorkflowExecutions: request.query AND the request's filter fields.
  absl::StatusOr<api::v1::ListWorkflowExecutionsResponse> List(
      const std::string& ns_id, const Schema& schema,
      const api::v1::ListWorkflowExecutionsRequest& request) const;
  // CountWorkflowExecutions (ORDER BY is refused).
  absl::StatusOr<int64_t> Count(const std::string& ns_id, const Schema& schema,
                                const std::string& query) const;

  // What the planner chose for a checked WHERE clause: "scan StartTime" or
  // "index <Attribute>" (for tests and debugging).
  std::string Explain(const std::string& ns_id, const Schema& schema, const Expr* where) const;

 private:
  struct Plan;
  Plan MakePlan(const std::string& ns_id, const Schema& schema, const Expr* where) const;
  // Calls fn(position, record) for each run matching `where`, in StartTime order (ASC or
  // DESC), strictly after `after` (a position; empty: from the start) until fn returns false.
  absl::Status ForEachMatch(
      const std::string& ns_id, const Schema& schema, const Expr* where, bool desc,
      const std::string& after,
      const std::function<bool(const std::string&, internal::VisibilityRecord&)>& fn) const;

  storage::Store* const store_;
};

}  // namespace weft::visibility

#endif  // WEFT_SERVER_VISIBILITY_VISIBILITY_STORE_H_
