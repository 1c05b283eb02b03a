// Client::ListWorkflows and Client::CountWorkflows (see weft/client.h).
#include "call_retry.h"
#include "weft/client.h"

namespace weft {

absl::StatusOr<api::v1::ListWorkflowExecutionsResponse> Client::ListWorkflows(
    std::string_view query, std::string_view next_page_token, int page_size) {
  api::v1::ListWorkflowExecutionsRequest req;
  req.set_namespace_(options_.ns);
  req.set_query(std::string(query));
  req.set_next_page_token(std::string(next_page_token));
  req.set_page_size(page_size);
  api::v1::ListWorkflowExecutionsResponse resp;
  absl::Status status = FromGrpcStatus(detail::CallWithRateLimitRetry(
      [&](grpc::ClientContext* ctx) { return stub_->ListWorkflowExecutions(ctx, req, &resp); }));
  if (!status.ok()) return status;
  return resp;
}

absl::StatusOr<int64_t> Client::CountWorkflows(std::string_view query) {
  api::v1::CountWorkflowExecutionsRequest req;
  req.set_namespace_(options_.ns);
  req.set_query(std::string(query));
  api::v1::CountWorkflowExecutionsResponse resp;
  absl::Status status = FromGrpcStatus(detail::CallWithRateLimitRetry(
      [&](grpc::ClientContext* ctx) { return stub_->CountWorkflowExecutions(ctx, req, &resp); }));
  if (!status.ok()) return status;
  return resp.count();
}

}  // namespace weft
