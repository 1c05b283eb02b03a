// WorkflowServiceHandler: the gRPC face of weft (weft.api.v1.WorkflowService). Each call passes
// the access-control chain (auth/access_control.h: authenticate, authorize against the
// permission table, rate-limit, audit) in Handle(), is validated, its namespace resolved, and
// routed to history or matching through their client interfaces; errors are translated to
// gRPC status codes in one place.
//
// Polls are long polls of up to 60 s (less when the caller's deadline is sooner); an empty
// response means nothing arrived.
//
// Thread safety: thread-safe; gRPC calls it from many threads.
// Ownership: borrows every collaborator; the composition root owns them.
#ifndef WEFT_SERVER_FRONTEND_WORKFLOW_SERVICE_HANDLER_H_
#define WEFT_SERVER_FRONTEND_WORKFLOW_SERVICE_HANDLER_H_

#include <atomic>
#include <chrono>
#include <string_view>
#include <type_traits>

#include "server/common/clock.h"
#include "server/common/grpc_status.h"
#include "server/common/metrics.h"
#include "server/frontend/auth/access_control.h"
#include "server/frontend/namespace_registry.h"
#include "server/frontend/query_registry.h"
#include "server/frontend/request_log_scope.h"
#include "server/history/history_client.h"
#include "server/matching/matching_client.h"
#include "server/scheduler/scheduler.h"
#include "weft/api/v1/workflow_service.grpc.pb.h"

namespace weft::frontend {

class WorkflowServiceHandler final : public api::v1::WorkflowService::Service {
 public:
  WorkflowServiceHandler(NamespaceRegistry* namespaces, history::HistoryClient* history,
                         matching::MatchingClient* matching, const Clock* clock, Metrics* metrics,
                         auth::AccessControl* access);

  // Makes polls in progress return at once (empty) and later ones fail UNAVAILABLE.
  void BeginShutdown() { shutting_down_ = true; }
  // The schedules service; without it the schedule RPCs answer UNIMPLEMENTED. Set before
  // serving.
  void SetScheduler(scheduler::Scheduler* scheduler) { scheduler_ = scheduler; }

  grpc::Status RegisterNamespace(grpc::ServerContext*, const api::v1::RegisterNamespaceRequest*,
                                 api::v1::RegisterNamespaceResponse*) override;
  grpc::Status DescribeNamespace(grpc::ServerContext*, const api::v1::DescribeNamespaceRequest*,
                                 api::v1::DescribeNamespaceResponse*) override;
  grpc::Status ListNamespaces(grpc::ServerContext*, const api::v1::ListNamespacesRequest*,
                              api::v1::ListNamespacesResponse*) override;
  grpc::Status UpdateNamespace(grpc::ServerContext*, const api::v1::UpdateNamespaceRequest*,
                               api::v1::UpdateNamespaceResponse*) override;
  grpc::Status StartWorkflowExecution(grpc::ServerContext*,
                                      const api::v1::StartWorkflowExecutionRequest*,
                                      api::v1::StartWorkflowExecutionResponse*) override;
  grpc::Status GetWorkflowExecutionHistory(grpc::ServerContext*,
                                           const api::v1::GetWorkflowExecutionHistoryRequest*,
                                           api::v1::GetWorkflowExecutionHistoryResponse*) override;
  grpc::Status DescribeWorkflowExecution(grpc::ServerContext*,
                                         const api::v1::DescribeWorkflowExecutionRequest*,
                                         api::v1::DescribeWorkflowExecutionResponse*) override;
  grpc::Status ListWorkflowExecutions(grpc::ServerContext*,
                                      const api::v1::ListWorkflowExecutionsRequest*,
                                      api::v1::ListWorkflowExecutionsResponse*) override;
  grpc::Status CountWorkflowExecutions(grpc::ServerContext*,
                                       const api::v1::CountWorkflowExecutionsRequest*,
                                       api::v1::CountWorkflowExecutionsResponse*) override;
  grpc::Status SignalWorkflowExecution(grpc::ServerContext*,
                                       const api::v1::SignalWorkflowExecutionRequest*,
                                       api::v1::SignalWorkflowExecutionResponse*) override;
  grpc::Status SignalWithStartWorkflowExecution(
      grpc::ServerContext*, const api::v1::SignalWithStartWorkflowExecutionRequest*,
      api::v1::SignalWithStartWorkflowExecutionResponse*) override;
  grpc::Status RequestCancelWorkflowExecution(
      grpc::ServerContext*, const api::v1::RequestCancelWorkflowExecutionRequest*,
      api::v1::RequestCancelWorkflowExecutionResponse*) override;
  grpc::Status TerminateWorkflowExecution(grpc::ServerContext*,
                                          const api::v1::TerminateWorkflowExecutionRequest*,
                                          api::v1::TerminateWorkflowExecutionResponse*) override;
  grpc::Status ResetWorkflowExecution(grpc::ServerContext*,
                                      const api::v1::ResetWorkflowExecutionRequest*,
                                      api::v1::ResetWorkflowExecutionResponse*) override;
  grpc::Status QueryWorkflow(grpc::ServerContext*, const api::v1::QueryWorkflowRequest*,
                             api::v1::QueryWorkflowResponse*) override;
  // Task queues (workflow_service_handler_task_queues.cc).
  grpc::Status DescribeTaskQueue(grpc::ServerContext*, const api::v1::DescribeTaskQueueRequest*,
                                 api::v1::DescribeTaskQueueResponse*) override;
  grpc::Status RespondQueryTaskCompleted(grpc::ServerContext*,
                                         const api::v1::RespondQueryTaskCompletedRequest*,
                                         api::v1::RespondQueryTaskCompletedResponse*) override;
  grpc::Status PollWorkflowTaskQueue(grpc::ServerContext*,
                                     const api::v1::PollWorkflowTaskQueueRequest*,
                                     api::v1::PollWorkflowTaskQueueResponse*) override;
  grpc::Status RespondWorkflowTaskCompleted(
      grpc::ServerContext*, const api::v1::RespondWorkflowTaskCompletedRequest*,
      api::v1::RespondWorkflowTaskCompletedResponse*) override;
  grpc::Status RespondWorkflowTaskFailed(grpc::ServerContext*,
                                         const api::v1::RespondWorkflowTaskFailedRequest*,
                                         api::v1::RespondWorkflowTaskFailedResponse*) override;
  grpc::Status ResetStickyTaskQueue(grpc::ServerContext*,
                                    const api::v1::ResetStickyTaskQueueRequest*,
                                    api::v1::ResetStickyTaskQueueResponse*) override;
  grpc::Status PollActivityTaskQueue(grpc::ServerContext*,
                                     const api::v1::PollActivityTaskQueueRequest*,
                                     api::v1::PollActivityTaskQueueResponse*) override;
  grpc::Status RecordActivityTaskHeartbeat(grpc::ServerContext*,
                                           const api::v1::RecordActivityTaskHeartbeatRequest*,
                                           api::v1::RecordActivityTaskHeartbeatResponse*) override;
  grpc::Status RespondActivityTaskCompleted(
      grpc::ServerContext*, const api::v1::RespondActivityTaskCompletedRequest*,
      api::v1::RespondActivityTaskCompletedResponse*) override;
  grpc::Status RespondActivityTaskFailed(grpc::ServerContext*,
                                         const api::v1::RespondActivityTaskFailedRequest*,
                                         api::v1::RespondActivityTaskFailedResponse*) override;
  grpc::Status RespondActivityTaskCanceled(grpc::ServerContext*,
                                           const api::v1::RespondActivityTaskCanceledRequest*,
                                           api::v1::RespondActivityTaskCanceledResponse*) override;

  // Schedules (workflow_service_handler_schedules.cc).
  grpc::Status CreateSchedule(grpc::ServerContext*, const api::v1::CreateScheduleRequest*,
                              api::v1::CreateScheduleResponse*) override;
  grpc::Status DescribeSchedule(grpc::ServerContext*, const api::v1::DescribeScheduleRequest*,
                                api::v1::DescribeScheduleResponse*) override;
  grpc::Status UpdateSchedule(grpc::ServerContext*, const api::v1::UpdateScheduleRequest*,
                              api::v1::UpdateScheduleResponse*) override;
  grpc::Status PatchSchedule(grpc::ServerContext*, const api::v1::PatchScheduleRequest*,
                             api::v1::PatchScheduleResponse*) override;
  grpc::Status DeleteSchedule(grpc::ServerContext*, const api::v1::DeleteScheduleRequest*,
                              api::v1::DeleteScheduleResponse*) override;
  grpc::Status ListSchedules(grpc::ServerContext*, const api::v1::ListSchedulesRequest*,
                             api::v1::ListSchedulesResponse*) override;

 private:
  // Runs fn() for `method` on namespace `ns` once the caller is admitted; `target` (a
  // workflow id, a task queue) is for the audit log.
  template <typename Fn>
  grpc::Status Handle(grpc::ServerContext* ctx, const char* method, const std::string& ns,
                      const std::string& target, Fn&& fn);
  absl::StatusOr<history::NamespaceRef> Resolve(const std::string& ns);
  // Resolve() plus validation of the workflow id the call names (`field` for the message).
  absl::StatusOr<history::NamespaceRef> ResolveForRun(const std::string& ns,
                                                      const std::string& workflow_id,
                                                      const char* field);
  // Waits for a task on the queue and records it started; loops over stale tasks.
  // `max_tasks_per_second` > 0 asks matching to limit the queue's dispatch rate.
  template <typename Response, typename Record>
  absl::Status Poll(grpc::ServerContext* ctx, const std::string& ns, const std::string& queue,
                    const std::string& identity, double max_tasks_per_second,
                    internal::TaskKind kind, Response* resp, Record record);

  // The poll answer for a query task: the run's whole history and the query.
  absl::StatusOr<api::v1::PollWorkflowTaskQueueResponse> QueryTask(
      const history::NamespaceRef& ns, const internal::BacklogTask& task);

  NamespaceRegistry* const namespaces_;
  QueryRegistry queries_;
  history::HistoryClient* const history_;
  matching::MatchingClient* const matching_;
  const Clock* const clock_;
  Metrics* const metrics_;
  auth::AccessControl* const access_;
  std::atomic<bool> shutting_down_{false};
  scheduler::Scheduler* scheduler_ = nullptr;
};

// In the header so the handler's other files (one per area) can use it.
template <typename Fn>
inline grpc::Status WorkflowServiceHandler::Handle(grpc::ServerContext* ctx, const char* method,
                                                   const std::string& ns, const std::string& target,
                                                   Fn&& fn) {
  auto start = std::chrono::steady_clock::now();
  // Trace, request id and log context of the call (request_log_scope.h).
  RequestLogScope log_scope(ctx, method, ns, TargetLogField(method), target);
  // Authenticate, authorize, rate-limit and audit: the same chain for every RPC.
  // fn() or, for calls whose answer depends on who asks, fn(principal).
  absl::Status s = access_->Run(ctx, method, ns, target, [&](const auth::Principal& who) {
    if constexpr (std::is_invocable_v<Fn, const auth::Principal&>) {
      return fn(who);
    } else {
      return fn();
    }
  });
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  log_scope.Finish(s, took.count());
  if (metrics_) {
    // Task polls and history reads may wait up to a minute by design: timed apart.
    std::string_view m(method);
    if (m.starts_with("Poll") || m == "GetWorkflowExecutionHistory") {
      metrics_->RecordLongPoll(method, absl::StatusCodeToString(s.code()), took.count());
    } else {
      metrics_->RecordRpc(method, absl::StatusCodeToString(s.code()), took.count());
    }
  }
  return ToGrpcStatus(s);
}

}  // namespace weft::frontend

#endif  // WEFT_SERVER_FRONTEND_WORKFLOW_SERVICE_HANDLER_H_
