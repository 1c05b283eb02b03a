// Checks of the search attributes that requests carry, against the namespace's registered
// attributes (visibility::NormalizeSearchAttributes): a start, a signal-with-start, and the
// UpsertWorkflowSearchAttributes / ContinueAsNew / StartChildWorkflow commands of a workflow
// task. History stores the normalized attributes as given.
//
// Each function returns false when the request needs no change, true when it wrote a
// normalized copy to *out, or INVALID_ARGUMENT naming the attribute (and, for commands, the
// command's position).
//
// Thread safety: pure functions.
#ifndef WEFT_SERVER_FRONTEND_SEARCH_ATTRIBUTE_CHECKS_H_
#define WEFT_SERVER_FRONTEND_SEARCH_ATTRIBUTE_CHECKS_H_

#include "absl/status/statusor.h"
#include "server/history/history_client.h"
#include "weft/api/v1/workflow_service.pb.h"

namespace weft::frontend {

absl::StatusOr<bool> NormalizeStartSearchAttributes(
    const history::NamespaceRef& ns, const api::v1::StartWorkflowExecutionRequest& in,
    api::v1::StartWorkflowExecutionRequest* out);

absl::StatusOr<bool> NormalizeCommandSearchAttributes(
    const history::NamespaceRef& ns, const api::v1::RespondWorkflowTaskCompletedRequest& in,
    api::v1::RespondWorkflowTaskCompletedRequest* out);

}  // namespace weft::frontend

#endif  // WEFT_SERVER_FRONTEND_SEARCH_ATTRIBUTE_CHECKS_H_
