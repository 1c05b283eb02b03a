// HistoryClient: the narrow interface through which the frontend reaches the history
// service. On one node HistoryEngine implements it in-process; in a cluster the same calls
// go to the node that owns the workflow's shard.
//
// Requests have been authenticated and validated by the frontend, and the namespace
// resolved. Errors follow absl's codes: NOT_FOUND (no such run, or a task that is no longer
// current), ALREADY_EXISTS (id-reuse policy), FAILED_PRECONDITION (the run is closed),
// INVALID_ARGUMENT (a command that does not fit the state), UNAVAILABLE (storage trouble:
// retry).
//
// Thread safety: implementations are thread-safe.
#ifndef WEFT_SERVER_HISTORY_HISTORY_CLIENT_H_
#define WEFT_SERVER_HISTORY_HISTORY_CLIENT_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "weft/api/v1/workflow_service.pb.h"
#include "weft/internal/persistence.pb.h"

namespace weft::history {

struct NamespaceRef {
  std::string id;
  std::string name;
  // The namespace's custom search attributes (for list/count queries); may be empty.
  std::map<std::string, api::v1::IndexedValueType> search_attributes = {};
};

class HistoryClient {
 public:
  virtual ~HistoryClient() = default;

  // Starts a run. With `signal` set (signal-with-start) the signal is delivered to the
  // running run if there is one, else recorded right after the new run's start event.
  virtual absl::StatusOr<api::v1::StartWorkflowExecutionResponse> StartWorkflowExecution(
      const NamespaceRef& ns, const api::v1::StartWorkflowExecutionRequest& request,
      const api::v1::SignalWithStartWorkflowExecutionRequest* signal) = 0;

  // Pages through a run's history; with wait_new_event set, waits until `deadline` for new
  // events (or the close event).
  virtual absl::StatusOr<api::v1::GetWorkflowExecutionHistoryResponse> GetWorkflowExecutionHistory(
      const NamespaceRef& ns, const api::v1::GetWorkflowExecutionHistoryRequest& request,
      absl::Time deadline) = 0;
  virtual absl::StatusOr<api::v1::DescribeWorkflowExecutionResponse> DescribeWorkflowExecution(
      const NamespaceRef& ns, const api::v1::WorkflowExecution& execution) = 0;
  // List and count runs matching the request's query (server/visibility/query.h);
  // INVALID_ARGUMENT for a bad query or page token.
  virtual absl::StatusOr<api::v1::ListWorkflowExecutionsResponse> ListWorkflowExecutions(
      const NamespaceRef& ns, const api::v1::ListWorkflowExecutionsRequest& request) = 0;
  virtual absl::StatusOr<api::v1::CountWorkflowExecutionsResponse> CountWorkflowExecutions(
      const NamespaceRef& ns, const api::v1::CountWorkflowExecutionsRequest& request) {
    return absl::UnimplementedError("CountWorkflowExecutions is not supported here");
  }
  virtual absl::Status SignalWorkflowExecution(
      const NamespaceRef& ns, const api::v1::SignalWorkflowExecutionRequest& request) = 0;
  virtual absl::Status RequestCancelWorkflowExecution(
      const NamespaceRef& ns, const api::v1::RequestCancelWorkflowExecutionRequest& request) = 0;
  virtual absl::Status TerminateWorkflowExecution(
      const NamespaceRef& ns, const api::v1::TerminateWorkflowExecutionRequest& request) = 0;
  // A new run from the old one's history up to a finished workflow task (see
  // ResetWorkflowExecutionRequest). INVALID_ARGUMENT for a bad reset point,
  // FAILED_PRECONDITION when another run is running or children are pending at that point.
  virtual absl::StatusOr<api::v1::ResetWorkflowExecutionResponse> ResetWorkflowExecution(
      const NamespaceRef& ns, const api::v1::ResetWorkflowExecutionRequest& request) = 0;

  // Called by the frontend for a task matching handed to a poller. NOT_FOUND means the task
  // is stale (already started, or the run moved on): drop it and poll again.
  virtual absl::StatusOr<api::v1::PollWorkflowTaskQueueResponse> RecordWorkflowTaskStarted(
      const NamespaceRef& ns, const internal::BacklogTask& task, const std::string& identity) = 0;
  virtual absl::StatusOr<api::v1::PollActivityTaskQueueResponse> RecordActivityTaskStarted(
      const NamespaceRef& ns, const internal::BacklogTask& task, const std::string& identity) = 0;

  virtual absl::Status RespondWorkflowTaskCompleted(
      const NamespaceRef& ns, const api::v1::RespondWorkflowTaskCompletedRequest& request) = 0;
  // The same, and fills `response` (may be null) with the activity tasks started for the
  // completing worker by eager dispatch (request.eager_activity_slots, commands with
  // request_eager_execution). An implementation without eager dispatch starts none: every
  // activity then goes through matching.
  virtual absl::Status RespondWorkflowTaskCompleted(
      const NamespaceRef& ns, const api::v1::RespondWorkflowTaskCompletedRequest& request,
      api::v1::RespondWorkflowTaskCompletedResponse* response) {
    return RespondWorkflowTaskCompleted(ns, request);
  }
  virtual absl::Status RespondWorkflowTaskFailed(
      const NamespaceRef& ns, const api::v1::RespondWorkflowTaskFailedRequest& request) = 0;
  // Clears the run's sticky queue (its worker evicted it from its cache): a workflow task
  // waiting there moves to the normal queue. A no-op for a closed or non-sticky run.
  virtual absl::Status ResetStickyTaskQueue(
      const NamespaceRef& ns, const api::v1::ResetStickyTaskQueueRequest& request) = 0;
  virtual absl::StatusOr<api::v1::RecordActivityTaskHeartbeatResponse> RecordActivityTaskHeartbeat(
      const NamespaceRef& ns, const api::v1::RecordActivityTaskHeartbeatRequest& request) = 0;
  virtual absl::Status RespondActivityTaskCompleted(
      const NamespaceRef& ns, const api::v1::RespondActivityTaskCompletedRequest& request) = 0;
  virtual absl::Status RespondActivityTaskFailed(
      const NamespaceRef& ns, const api::v1::RespondActivityTaskFailedRequest& request) = 0;
  virtual absl::Status RespondActivityTaskCanceled(
      const NamespaceRef& ns, const api::v1::RespondActivityTaskCanceledRequest& request) = 0;
};

}  // namespace weft::history

#endif  // WEFT_SERVER_HISTORY_HISTORY_CLIENT_H_
