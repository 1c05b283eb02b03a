// QueryRegistry: queries in flight between a QueryWorkflow caller, waiting for its answer,
// and the worker that answers it with RespondQueryTaskCompleted. Queries are not durable:
// one that no worker answers before the caller's deadline is simply dropped.
//
// Thread safety: thread-safe. Ownership: owns the pending queries; callers hold shared
// references while they wait.
#ifndef WEFT_SERVER_FRONTEND_QUERY_REGISTRY_H_
#define WEFT_SERVER_FRONTEND_QUERY_REGISTRY_H_

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "weft/api/v1/workflow_service.pb.h"

namespace weft::frontend {

class QueryRegistry {
 public:
  // Registers a query and returns its id.
  std::string Add(const api::v1::WorkflowQuery& query);
  // The query's type and arguments; nullopt once it was answered or given up.
  std::optional<api::v1::WorkflowQuery> Get(const std::string& id);
  // Records the worker's answer. NOT_FOUND if nobody waits for it any more.
  absl::Status Answer(const std::string& id, const api::v1::RespondQueryTaskCompletedRequest& r);
  // Waits for the answer until `deadline`, then forgets the query. The answer's result, or
  // INVALID_ARGUMENT with the worker's message for a failed query, or DEADLINE_EXCEEDED.
  absl::StatusOr<api::v1::Payloads> Wait(const std::string& id, absl::Time deadline);

 private:
  struct Pending {
    api::v1::WorkflowQuery query;
    std::optional<api::v1::RespondQueryTaskCompletedRequest> answer;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Pending> pending_;  // guarded by mu_
};

}  // namespace weft::frontend

#endif  // WEFT_SERVER_FRONTEND_QUERY_REGISTRY_H_
