#include "server/frontend/query_registry.h"

#include "absl/strings/str_cat.h"
#include "server/common/ids.h"

namespace weft::frontend {

std::string QueryRegistry::Add(const api::v1::WorkflowQuery& query) {
  std::string id = NewUuid();
  std::lock_guard<std::mutex> lock(mu_);
  pending_[id].query = query;
  return id;
}

std::optional<api::v1::WorkflowQuery> QueryRegistry::Get(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(id);
  if (it == pending_.end() || it->second.answer) return std::nullopt;
  return it->second.query;
}

absl::Status QueryRegistry::Answer(const std::string& id,
                                   const api::v1::RespondQueryTaskCompletedRequest& r) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(id);
  if (it == pending_.end() || it->second.answer) {
    return absl::NotFoundError("query not found: its caller stopped waiting, or it was answered");
  }
  it->second.answer = r;
  cv_.notify_all();
  return absl::OkStatus();
}

absl::StatusOr<api::v1::Payloads> QueryRegistry::Wait(const std::string& id, absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  auto ready = [&] {
    auto it = pending_.find(id);
    return it == pending_.end() || it->second.answer.has_value();
  };
  while (!ready()) {
    absl::Time now = absl::Now();
    if (now >= deadline) break;
    cv_.wait_for(lock, absl::ToChronoNanoseconds(deadline - now));
  }
  auto it = pending_.find(id);
  if (it == pending_.end()) return absl::InternalError("query vanished");
  std::optional<api::v1::RespondQueryTaskCompletedRequest> answer = std::move(it->second.answer);
  pending_.erase(it);
  if (!answer) {
    return absl::DeadlineExceededError(
        "no worker answered the query in time: is a worker polling the workflow's task queue?");
  }
  if (answer->completed_type() != api::v1::QUERY_RESULT_TYPE_ANSWERED) {
    return absl::InvalidArgumentError(absl::StrCat("query failed: ", answer->error_message()));
  }
  return answer->query_result();
}

}  // namespace weft::frontend
