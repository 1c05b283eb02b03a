#include "server/frontend/workflow_service_handler.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "server/common/grpc_status.h"
#include "server/common/ids.h"
#include "server/common/proto_time.h"
#include "server/frontend/search_attribute_checks.h"
#include "server/frontend/validation.h"

namespace weft::frontend {

using history::NamespaceRef;

namespace {

constexpr absl::Duration kLongPoll = absl::Seconds(60);
// Answer a poll a little before the caller's deadline so it gets an empty response rather
// than DEADLINE_EXCEEDED.
constexpr absl::Duration kDeadlineMargin = absl::Milliseconds(500);

absl::Time CallDeadline(grpc::ServerContext* ctx, absl::Time now, absl::Duration cap) {
  absl::Time deadline = now + cap;
  auto d = ctx->deadline();
  if (d != std::chrono::system_clock::time_point::max()) {
    deadline = std::min(deadline, absl::FromChrono(d) - kDeadlineMargin);
  }
  return deadline;
}

}  // namespace

WorkflowServiceHandler::WorkflowServiceHandler(NamespaceRegistry* namespaces,
                                               history::HistoryClient* history,
                                               matching::MatchingClient* matching,
                                               const Clock* clock, Metrics* metrics,
                                               auth::AccessControl* access)
    : namespaces_(namespaces),
      history_(history),
      matching_(matching),
      clock_(clock),
      metrics_(metrics),
      access_(access) {}

// Handle() is defined in the header: the handler is split over several files.

absl::StatusOr<NamespaceRef> WorkflowServiceHandler::ResolveForRun(const std::string& ns,
                                                                   const std::string& workflow_id,
                                                                   const char* field) {
  auto ref = Resolve(ns);
  if (!ref.ok()) return ref.status();
  if (auto s = ValidateId(workflow_id, field); !s.ok()) return s;
  return ref;
}

absl::StatusOr<NamespaceRef> WorkflowServiceHandler::Resolve(const std::string& ns) {
  if (auto s = ValidateId(ns, "namespace"); !s.ok()) return s;
  auto rec = namespaces_->Get(ns);
  if (!rec.ok()) return rec.status();
  NamespaceRef ref{rec->id(), rec->name(), {}};
  for (const auto& [name, type] : rec->custom_search_attributes()) {
    ref.search_attributes.emplace(name, type);
  }
  return ref;
}

// ---- namespaces ----

grpc::Status WorkflowServiceHandler::RegisterNamespace(grpc::ServerContext* ctx,
                                                       const api::v1::RegisterNamespaceRequest* req,
                                                       api::v1::RegisterNamespaceResponse*) {
  return Handle(ctx, "RegisterNamespace", req->namespace_(), "", [&]() -> absl::Status {
    if (auto s = ValidateId(req->namespace_(), "namespace"); !s.ok()) return s;
    for (char c : req->namespace_()) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
        return absl::InvalidArgumentError(
            "namespace may contain only letters, digits, '-', '_' and '.'");
      }
    }
    if (auto s = ValidateDuration(req->workflow_execution_retention_period(), "retention");
        !s.ok()) {
      return s;
    }
    internal::NamespaceRecord r;
    r.set_name(req->namespace_());
    r.set_description(req->description());
    r.set_owner_email(req->owner_email());
    *r.mutable_retention() = req->workflow_execution_retention_period();
    if (auto s = ValidateCircuitBreakerConfig(req->circuit_breaker_config()); !s.ok()) return s;
    *r.mutable_circuit_breaker_config() = req->circuit_breaker_config();
    return namespaces_->Register(std::move(r));
  });
}

namespace {
void FillNamespaceInfo(const internal::NamespaceRecord& r, api::v1::NamespaceInfo* info) {
  info->set_name(r.name());
  info->set_id(r.id());
  info->set_description(r.description());
  info->set_owner_email(r.owner_email());
  *info->mutable_workflow_execution_retention_ttl() = r.retention();
  *info->mutable_create_time() = r.create_time();
  for (const auto& [name, type] : r.custom_search_attributes()) {
    (*info->mutable_custom_search_attributes())[name] = type;
  }
  *info->mutable_circuit_breaker_config() = r.circuit_breaker_config();
}
}  // namespace

grpc::Status WorkflowServiceHandler::UpdateNamespace(grpc::ServerContext* ctx,
                                                     const api::v1::UpdateNamespaceRequest* req,
                                                     api::v1::UpdateNamespaceResponse* resp) {
  return Handle(ctx, "UpdateNamespace", req->namespace_(), "", [&]() -> absl::Status {
    if (auto s = ValidateId(req->namespace_(), "namespace"); !s.ok()) return s;
    if (req->has_workflow_execution_retention_period()) {
      const auto& d = req->workflow_execution_retention_period();
      if (auto s = ValidateDuration(d, "workflow_execution_retention_period"); !s.ok()) return s;
      if (d.seconds() == 0 && d.nanos() == 0) {
        return absl::InvalidArgumentError(
            "workflow_execution_retention_period must be positive (leave it unset to keep it)");
      }
    }
    if (req->has_circuit_breaker_config()) {
      if (auto s = ValidateCircuitBreakerConfig(req->circuit_breaker_config()); !s.ok()) return s;
    }
    if (req->has_owner_email() && req->owner_email().size() > 1000) {
      return absl::InvalidArgumentError("owner_email is longer than 1000 characters");
    }
    if (req->has_description() && req->description().size() > 10000) {
      return absl::InvalidArgumentError("description is longer than 10,000 characters");
    }
    auto r = namespaces_->Update(req->namespace_(), [&](internal::NamespaceRecord& rec) {
      if (req->has_description()) rec.set_description(req->description());
      if (req->has_owner_email()) rec.set_owner_email(req->owner_email());
      if (req->has_workflow_execution_retention_period()) {
        *rec.mutable_retention() = req->workflow_execution_retention_period();
      }
      // The breaker config is replaced as a whole (its zero values are the defaults).
      if (req->has_circuit_breaker_config()) {
        *rec.mutable_circuit_breaker_config() = req->circuit_breaker_config();
      }
      return absl::OkStatus();
    });
    if (!r.ok()) return r.status();
    FillNamespaceInfo(*r, resp->mutable_namespace_info());
    return absl::OkStatus();
  });
}

grpc::Status WorkflowServiceHandler::DescribeNamespace(grpc::ServerContext* ctx,
                                                       const api::v1::DescribeNamespaceRequest* req,
                                                       api::v1::DescribeNamespaceResponse* resp) {
  return Handle(ctx, "DescribeNamespace", req->namespace_(), "", [&]() -> absl::Status {
    if (auto s = ValidateId(req->namespace_(), "namespace"); !s.ok()) return s;
    auto r = namespaces_->Get(req->namespace_());
    if (!r.ok()) return r.status();
    FillNamespaceInfo(*r, resp->mutable_namespace_info());
    return absl::OkStatus();
  });
}

grpc::Status WorkflowServiceHandler::ListNamespaces(grpc::ServerContext* ctx,
                                                    const api::v1::ListNamespacesRequest*,
                                                    api::v1::ListNamespacesResponse* resp) {
  // Admins see every namespace; anyone else only those they hold a role in.
  return Handle(ctx, "ListNamespaces", "", "", [&](const auth::Principal& who) -> absl::Status {
    for (const auto& r : namespaces_->List()) {
      bool visible = who.IsAdmin();
      for (const auth::RoleGrant& g : who.roles) visible = visible || g.ns == r.name();
      if (visible) FillNamespaceInfo(r, resp->add_namespaces());
    }
    return absl::OkStatus();
  });
}

// ---- workflows ----

grpc::Status WorkflowServiceHandler::StartWorkflowExecution(
    grpc::ServerContext* ctx, const api::v1::StartWorkflowExecutionRequest* req,
    api::v1::StartWorkflowExecutionResponse* resp) {
  return Handle(
      ctx, "StartWorkflowExecution", req->namespace_(), req->workflow_id(), [&]() -> absl::Status {
        auto ns = Resolve(req->namespace_());
        if (!ns.ok()) return ns.status();
        if (auto s = ValidateStart(*req); !s.ok()) return s;
        api::v1::StartWorkflowExecutionRequest normalized;
        auto changed = NormalizeStartSearchAttributes(*ns, *req, &normalized);
        if (!changed.ok()) return changed.status();
        auto r = history_->StartWorkflowExecution(*ns, *changed ? normalized : *req, nullptr);
        if (!r.ok()) return r.status();
        RequestLogScope::Note("run_id", r->run_id());
        *resp = std::move(*r);
        return absl::OkStatus();
      });
}

grpc::Status WorkflowServiceHandler::SignalWithStartWorkflowExecution(
    grpc::ServerContext* ctx, const api::v1::SignalWithStartWorkflowExecutionRequest* req,
    api::v1::SignalWithStartWorkflowExecutionResponse* resp) {
  return Handle(ctx, "SignalWithStartWorkflowExecution", req->start().namespace_(),
                req->start().workflow_id(), [&]() -> absl::Status {
                  auto ns = Resolve(req->start().namespace_());
                  if (!ns.ok()) return ns.status();
                  if (auto s = ValidateStart(req->start()); !s.ok()) return s;
                  if (auto s = ValidateId(req->signal_name(), "signal_name"); !s.ok()) return s;
                  if (auto s = ValidatePayloads(req->signal_input(), "signal_input"); !s.ok())
                    return s;
                  api::v1::SignalWithStartWorkflowExecutionRequest normalized;
                  auto changed =
                      NormalizeStartSearchAttributes(*ns, req->start(), normalized.mutable_start());
                  if (!changed.ok()) return changed.status();
                  if (*changed) {
                    api::v1::StartWorkflowExecutionRequest start = normalized.start();
                    normalized = *req;
                    *normalized.mutable_start() = std::move(start);
                  }
                  const auto& effective = *changed ? normalized : *req;
                  auto r = history_->StartWorkflowExecution(*ns, effective.start(), &effective);
                  if (!r.ok()) return r.status();
                  RequestLogScope::Note("run_id", r->run_id());
                  resp->set_run_id(r->run_id());
                  resp->set_started(r->started());
                  return absl::OkStatus();
                });
}

grpc::Status WorkflowServiceHandler::GetWorkflowExecutionHistory(
    grpc::ServerContext* ctx, const api::v1::GetWorkflowExecutionHistoryRequest* req,
    api::v1::GetWorkflowExecutionHistoryResponse* resp) {
  return Handle(
      ctx, "GetWorkflowExecutionHistory", req->namespace_(), req->execution().workflow_id(),
      [&]() -> absl::Status {
        auto ns = ResolveForRun(req->namespace_(), req->execution().workflow_id(),
                                "execution.workflow_id");
        if (!ns.ok()) return ns.status();
        NoteExecution(req->execution());
        if (!api::v1::HistoryEventFilterType_IsValid(req->history_event_filter_type())) {
          return absl::InvalidArgumentError("history_event_filter_type is not a known value");
        }
        absl::Time deadline = CallDeadline(ctx, clock_->Now(), kLongPoll);
        auto r = history_->GetWorkflowExecutionHistory(*ns, *req, deadline);
        if (!r.ok()) return r.status();
        *resp = std::move(*r);
        return absl::OkStatus();
      });
}

grpc::Status WorkflowServiceHandler::DescribeWorkflowExecution(
    grpc::ServerContext* ctx, const api::v1::DescribeWorkflowExecutionRequest* req,
    api::v1::DescribeWorkflowExecutionResponse* resp) {
  return Handle(ctx, "DescribeWorkflowExecution", req->namespace_(), req->execution().workflow_id(),
                [&]() -> absl::Status {
                  auto ns = ResolveForRun(req->namespace_(), req->execution().workflow_id(),
                                          "execution.workflow_id");
                  if (!ns.ok()) return ns.status();
                  NoteExecution(req->execution());
                  auto r = history_->DescribeWorkflowExecution(*ns, req->execution());
                  if (!r.ok()) return r.status();
                  *resp = std::move(*r);
                  return absl::OkStatus();
                });
}

grpc::Status WorkflowServiceHandler::ListWorkflowExecutions(
    grpc::ServerContext* ctx, const api::v1::ListWorkflowExecutionsRequest* req,
    api::v1::ListWorkflowExecutionsResponse* resp) {
  return Handle(ctx, "ListWorkflowExecutions", req->namespace_(), "", [&]() -> absl::Status {
    auto ns = Resolve(req->namespace_());
    if (!ns.ok()) return ns.status();
    if (!api::v1::WorkflowExecutionStatus_IsValid(req->status())) {
      return absl::InvalidArgumentError("status is not a known WorkflowExecutionStatus value");
    }
    if (req->page_size() < 0) return absl::InvalidArgumentError("page_size must be >= 0");
    auto r = history_->ListWorkflowExecutions(*ns, *req);
    if (!r.ok()) return r.status();
    *resp = std::move(*r);
    return absl::OkStatus();
  });
}

grpc::Status WorkflowServiceHandler::CountWorkflowExecutions(
    grpc::ServerContext* ctx, const api::v1::CountWorkflowExecutionsRequest* req,
    api::v1::CountWorkflowExecutionsResponse* resp) {
  return Handle(ctx, "CountWorkflowExecutions", req->namespace_(), "", [&]() -> absl::Status {
    auto ns = Resolve(req->namespace_());
    if (!ns.ok()) return ns.status();
    auto r = history_->CountWorkflowExecutions(*ns, *req);
    if (!r.ok()) return r.status();
    *resp = std::move(*r);
    return absl::OkStatus();
  });
}

grpc::Status WorkflowServiceHandler::SignalWorkflowExecution(
    grpc::ServerContext* ctx, const api::v1::SignalWorkflowExecutionRequest* req,
    api::v1::SignalWorkflowExecutionResponse*) {
  return Handle(ctx, "SignalWorkflowExecution", req->namespace_(),
                req->workflow_execution().workflow_id(), [&]() -> absl::Status {
                  auto ns =
                      ResolveForRun(req->namespace_(), req->workflow_execution().workflow_id(),
                                    "workflow_execution.workflow_id");
                  if (!ns.ok()) return ns.status();
                  NoteExecution(req->workflow_execution());
                  if (auto s = ValidateId(req->signal_name(), "signal_name"); !s.ok()) return s;
                  if (auto s = ValidatePayloads(req->input(), "input"); !s.ok()) return s;
                  return history_->SignalWorkflowExecution(*ns, *req);
                });
}

grpc::Status WorkflowServiceHandler::RequestCancelWorkflowExecution(
    grpc::ServerContext* ctx, const api::v1::RequestCancelWorkflowExecutionRequest* req,
    api::v1::RequestCancelWorkflowExecutionResponse*) {
  return Handle(ctx, "RequestCancelWorkflowExecution", req->namespace_(),
                req->workflow_execution().workflow_id(), [&]() -> absl::Status {
                  auto ns =
                      ResolveForRun(req->namespace_(), req->workflow_execution().workflow_id(),
                                    "workflow_execution.workflow_id");
                  if (!ns.ok()) return ns.status();
                  NoteExecution(req->workflow_execution());
                  return history_->RequestCancelWorkflowExecution(*ns, *req);
                });
}

grpc::Status WorkflowServiceHandler::TerminateWorkflowExecution(
    grpc::ServerContext* ctx, const api::v1::TerminateWorkflowExecutionRequest* req,
    api::v1::TerminateWorkflowExecutionResponse*) {
  return Handle(ctx, "TerminateWorkflowExecution", req->namespace_(),
                req->workflow_execution().workflow_id(), [&]() -> absl::Status {
                  auto ns =
                      ResolveForRun(req->namespace_(), req->workflow_execution().workflow_id(),
                                    "workflow_execution.workflow_id");
                  if (!ns.ok()) return ns.status();
                  NoteExecution(req->workflow_execution());
                  return history_->TerminateWorkflowExecution(*ns, *req);
                });
}

grpc::Status WorkflowServiceHandler::ResetWorkflowExecution(
    grpc::ServerContext* ctx, const api::v1::ResetWorkflowExecutionRequest* req,
    api::v1::ResetWorkflowExecutionResponse* resp) {
  return Handle(ctx, "ResetWorkflowExecution", req->namespace_(),
                req->workflow_execution().workflow_id(), [&]() -> absl::Status {
                  auto ns =
                      ResolveForRun(req->namespace_(), req->workflow_execution().workflow_id(),
                                    "workflow_execution.workflow_id");
                  if (!ns.ok()) return ns.status();
                  NoteExecution(req->workflow_execution());
                  if (req->workflow_task_finish_event_id() <= 0) {
                    return absl::InvalidArgumentError(
                        "workflow_task_finish_event_id is required: the id of a "
                        "WorkflowTaskCompleted, WorkflowTaskFailed or WorkflowTaskTimedOut "
                        "event to reset to");
                  }
                  if (req->reason().size() > 1000) {
                    return absl::InvalidArgumentError("reason is limited to 1000 bytes");
                  }
                  auto r = history_->ResetWorkflowExecution(*ns, *req);
                  if (!r.ok()) return r.status();
                  *resp = *std::move(r);
                  return absl::OkStatus();
                });
}

// ---- queries ----

grpc::Status WorkflowServiceHandler::QueryWorkflow(grpc::ServerContext* ctx,
                                                   const api::v1::QueryWorkflowRequest* req,
                                                   api::v1::QueryWorkflowResponse* resp) {
  return Handle(ctx, "QueryWorkflow", req->namespace_(), req->execution().workflow_id(),
                [&]() -> absl::Status {
                  auto ns = ResolveForRun(req->namespace_(), req->execution().workflow_id(),
                                          "execution.workflow_id");
                  if (!ns.ok()) return ns.status();
                  NoteExecution(req->execution());
                  if (auto s = ValidateId(req->query().query_type(), "query.query_type"); !s.ok())
                    return s;
                  if (auto s = ValidatePayloads(req->query().query_args(), "query.query_args");
                      !s.ok()) {
                    return s;
                  }
                  auto run = history_->DescribeWorkflowExecution(*ns, req->execution());
                  if (!run.ok()) return run.status();
                  const auto& info = run->workflow_execution_info();
                  std::string id = queries_.Add(req->query());
                  internal::BacklogTask task;
                  task.set_namespace_id(ns->id);
                  task.set_workflow_id(info.execution().workflow_id());
                  task.set_run_id(info.execution().run_id());
                  task.set_query_id(id);
                  *task.mutable_create_time() = ToProto(clock_->Now());
                  matching::TaskQueueId queue{ns->id, info.task_queue(),
                                              internal::TASK_KIND_WORKFLOW, ns->name};
                  absl::Time deadline = CallDeadline(ctx, clock_->Now(), kLongPoll);
                  if (auto s = matching_->AddTask(queue, task); !s.ok()) {
                    (void)queries_.Wait(id, absl::InfinitePast());  // forget it
                    return s;
                  }
                  auto result = queries_.Wait(id, deadline);
                  if (!result.ok()) return result.status();
                  *resp->mutable_query_result() = std::move(*result);
                  return absl::OkStatus();
                });
}

absl::StatusOr<api::v1::PollWorkflowTaskQueueResponse> WorkflowServiceHandler::QueryTask(
    const NamespaceRef& ns, const internal::BacklogTask& task) {
  auto query = queries_.Get(task.query_id());
  if (!query) return absl::NotFoundError("query no longer awaited");
  api::v1::PollWorkflowTaskQueueResponse resp;
  api::v1::GetWorkflowExecutionHistoryRequest hreq;
  hreq.mutable_execution()->set_workflow_id(task.workflow_id());
  hreq.mutable_execution()->set_run_id(task.run_id());
  for (;;) {
    auto page = history_->GetWorkflowExecutionHistory(ns, hreq, clock_->Now());
    if (!page.ok()) return page.status();
    if (page->history().events_size() == 0) break;  // no progress: done
    for (auto& e : *page->mutable_history()->mutable_events()) {
      *resp.mutable_history()->add_events() = std::move(e);
    }
    if (page->next_page_token().empty()) break;
    hreq.set_next_page_token(page->next_page_token());
  }
  if (resp.history().events_size() == 0) return absl::NotFoundError("run has no history");
  internal::TaskToken token;
  token.set_namespace_id(ns.id);
  token.set_workflow_id(task.workflow_id());
  token.set_run_id(task.run_id());
  token.set_kind(internal::TASK_KIND_QUERY);
  token.set_query_id(task.query_id());
  resp.set_task_token(token.SerializeAsString());
  resp.mutable_workflow_execution()->set_workflow_id(task.workflow_id());
  resp.mutable_workflow_execution()->set_run_id(task.run_id());
  *resp.mutable_workflow_type() =
      resp.history().events(0).workflow_execution_started_event_attributes().workflow_type();
  resp.set_started_event_id(resp.history().events(resp.history().events_size() - 1).event_id());
  *resp.mutable_query() = std::move(*query);
  return resp;
}

grpc::Status WorkflowServiceHandler::RespondQueryTaskCompleted(
    grpc::ServerContext* ctx, const api::v1::RespondQueryTaskCompletedRequest* req,
    api::v1::RespondQueryTaskCompletedResponse*) {
  return Handle(ctx, "RespondQueryTaskCompleted", req->namespace_(), "", [&]() -> absl::Status {
    auto ns = Resolve(req->namespace_());
    if (!ns.ok()) return ns.status();
    NoteTaskToken(req->task_token());
    internal::TaskToken token;
    if (!token.ParseFromString(req->task_token()) || token.kind() != internal::TASK_KIND_QUERY ||
        token.query_id().empty()) {
      return absl::InvalidArgumentError(
          "task_token is not a query task token: pass back the token from the poll response");
    }
    if (token.namespace_id() != ns->id) {
      return absl::InvalidArgumentError("task_token belongs to another namespace");
    }
    if (!api::v1::QueryResultType_IsValid(req->completed_type()) ||
        req->completed_type() == api::v1::QUERY_RESULT_TYPE_UNSPECIFIED) {
      return absl::InvalidArgumentError("completed_type must be ANSWERED or FAILED");
    }
    if (auto s = ValidatePayloads(req->query_result(), "query_result"); !s.ok()) return s;
    return queries_.Answer(token.query_id(), *req);
  });
}

// ---- workers ----

template <typename Response, typename Record>
absl::Status WorkflowServiceHandler::Poll(grpc::ServerContext* ctx, const std::string& ns_name,
                                          const std::string& queue, const std::string& identity,
                                          double max_tasks_per_second, internal::TaskKind kind,
                                          Response* resp, Record record) {
  auto ns = Resolve(ns_name);
  if (!ns.ok()) return ns.status();
  if (auto s = ValidateId(queue, "task_queue.name"); !s.ok()) return s;
  if (auto s = ValidateId(identity, "identity", false); !s.ok()) return s;
  if (shutting_down_) return absl::UnavailableError("server is shutting down");
  matching::TaskQueueId qid{ns->id, queue, kind, ns->name};
  absl::Time deadline = CallDeadline(ctx, clock_->Now(), kLongPoll);
  auto cancelled = [&] { return ctx->IsCancelled() || shutting_down_.load(); };
  for (;;) {
    auto task = matching_->PollTask(qid, {identity, max_tasks_per_second}, deadline, cancelled);
    if (!task.ok()) {
      if (shutting_down_) return absl::OkStatus();  // empty: the worker polls again elsewhere
      return task.status();
    }
    if (!task->has_value()) return absl::OkStatus();
    const matching::PolledTask& polled = **task;
    if (ctx->IsCancelled()) {
      // The poller left (a worker shutting down or killed) while the task was on its way:
      // give it back rather than start it for nobody, which would cost a start-to-close
      // timeout (a worker handing its sticky runs back at shutdown hits this at once).
      matching_->AckTask(qid, polled, /*consumed=*/false);
      return absl::CancelledError("the poll was cancelled");
    }
    auto started = record(*ns, polled.task, identity);
    // Started, or stale (already started, run moved on): either way the task is consumed.
    bool consumed = started.ok() || absl::IsNotFound(started.status());
    matching_->AckTask(qid, polled, consumed);
    if (started.ok()) {
      *resp = std::move(*started);
      NoteExecution(resp->workflow_execution());
      return absl::OkStatus();
    }
    if (!consumed) return started.status();  // given back to the queue: not lost
  }
}

grpc::Status WorkflowServiceHandler::PollWorkflowTaskQueue(
    grpc::ServerContext* ctx, const api::v1::PollWorkflowTaskQueueRequest* req,
    api::v1::PollWorkflowTaskQueueResponse* resp) {
  return Handle(ctx, "PollWorkflowTaskQueue", req->namespace_(), req->task_queue().name(),
                [&]() -> absl::Status {
                  return Poll(ctx, req->namespace_(), req->task_queue().name(), req->identity(),
                              /*max_tasks_per_second=*/0, internal::TASK_KIND_WORKFLOW, resp,
                              [this](const NamespaceRef& ns, const internal::BacklogTask& t,
                                     const std::string& id) {
                                if (!t.query_id().empty()) return QueryTask(ns, t);
                                return history_->RecordWorkflowTaskStarted(ns, t, id);
                              });
                });
}

grpc::Status WorkflowServiceHandler::PollActivityTaskQueue(
    grpc::ServerContext* ctx, const api::v1::PollActivityTaskQueueRequest* req,
    api::v1::PollActivityTaskQueueResponse* resp) {
  return Handle(
      ctx, "PollActivityTaskQueue", req->namespace_(), req->task_queue().name(),
      [&]() -> absl::Status {
        if (auto s = ValidateRatePerSecond(req->max_tasks_per_second(), "max_tasks_per_second");
            !s.ok()) {
          return s;
        }
        return Poll(
            ctx, req->namespace_(), req->task_queue().name(), req->identity(),
            req->max_tasks_per_second(), internal::TASK_KIND_ACTIVITY, resp,
            [this](const NamespaceRef& ns, const internal::BacklogTask& t, const std::string& id) {
              return history_->RecordActivityTaskStarted(ns, t, id);
            });
      });
}

grpc::Status WorkflowServiceHandler::RespondWorkflowTaskCompleted(
    grpc::ServerContext* ctx, const api::v1::RespondWorkflowTaskCompletedRequest* req,
    api::v1::RespondWorkflowTaskCompletedResponse* resp) {
  return Handle(ctx, "RespondWorkflowTaskCompleted", req->namespace_(), "", [&]() -> absl::Status {
    auto ns = Resolve(req->namespace_());
    if (!ns.ok()) return ns.status();
    NoteTaskToken(req->task_token());
    if (auto s = ValidateCommands(*req); !s.ok()) return s;
    if (req->eager_activity_slots() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("eager_activity_slots is ", req->eager_activity_slots(),
                       ": send the number of activity tasks the worker can start now (0: none)"));
    }
    if (req->has_sticky_attributes()) {
      const auto& sticky = req->sticky_attributes();
      if (auto s = ValidateId(sticky.worker_task_queue().name(),
                              "sticky_attributes.worker_task_queue.name", false);
          !s.ok()) {
        return s;
      }
      if (FromProto(sticky.schedule_to_start_timeout()) < absl::ZeroDuration()) {
        return absl::InvalidArgumentError(
            "sticky_attributes.schedule_to_start_timeout must not be negative (0: default 5s)");
      }
    }
    // Bad search attributes fail the workflow task (as a bad command does in history), so
    // the failure is in the run's history and the task is retried.
    api::v1::RespondWorkflowTaskCompletedRequest normalized;
    auto changed = NormalizeCommandSearchAttributes(*ns, *req, &normalized);
    if (!changed.ok()) {
      api::v1::RespondWorkflowTaskFailedRequest failed;
      failed.set_namespace_(req->namespace_());
      failed.set_task_token(req->task_token());
      failed.set_cause(api::v1::WORKFLOW_TASK_FAILED_CAUSE_BAD_COMMAND);
      failed.mutable_failure()->set_message(std::string(changed.status().message()));
      failed.mutable_failure()->set_type("BadSearchAttributes");
      failed.set_identity(req->identity());
      (void)history_->RespondWorkflowTaskFailed(*ns, failed);
      return changed.status();
    }
    // The activities started eagerly for this worker come back in `resp`.
    return history_->RespondWorkflowTaskCompleted(*ns, *changed ? normalized : *req, resp);
  });
}

grpc::Status WorkflowServiceHandler::ResetStickyTaskQueue(
    grpc::ServerContext* ctx, const api::v1::ResetStickyTaskQueueRequest* req,
    api::v1::ResetStickyTaskQueueResponse*) {
  return Handle(ctx, "ResetStickyTaskQueue", req->namespace_(), req->execution().workflow_id(),
                [&]() -> absl::Status {
                  auto ns = ResolveForRun(req->namespace_(), req->execution().workflow_id(),
                                          "execution.workflow_id");
                  if (!ns.ok()) return ns.status();
                  NoteExecution(req->execution());
                  return history_->ResetStickyTaskQueue(*ns, *req);
                });
}

grpc::Status WorkflowServiceHandler::RespondWorkflowTaskFailed(
    grpc::ServerContext* ctx, const api::v1::RespondWorkflowTaskFailedRequest* req,
    api::v1::RespondWorkflowTaskFailedResponse*) {
  return Handle(ctx, "RespondWorkflowTaskFailed", req->namespace_(), "", [&]() -> absl::Status {
    auto ns = Resolve(req->namespace_());
    if (!ns.ok()) return ns.status();
    NoteTaskToken(req->task_token());
    if (!api::v1::WorkflowTaskFailedCause_IsValid(req->cause())) {
      return absl::InvalidArgumentError("cause is not a known WorkflowTaskFailedCause value");
    }
    return history_->RespondWorkflowTaskFailed(*ns, *req);
  });
}

grpc::Status WorkflowServiceHandler::RecordActivityTaskHeartbeat(
    grpc::ServerContext* ctx, const api::v1::RecordActivityTaskHeartbeatRequest* req,
    api::v1::RecordActivityTaskHeartbeatResponse* resp) {
  return Handle(ctx, "RecordActivityTaskHeartbeat", req->namespace_(), "", [&]() -> absl::Status {
    auto ns = Resolve(req->namespace_());
    if (!ns.ok()) return ns.status();
    NoteTaskToken(req->task_token());
    if (auto s = ValidatePayloads(req->details(), "details"); !s.ok()) return s;
    auto r = history_->RecordActivityTaskHeartbeat(*ns, *req);
    if (!r.ok()) return r.status();
    *resp = *r;
    return absl::OkStatus();
  });
}

grpc::Status WorkflowServiceHandler::RespondActivityTaskCompleted(
    grpc::ServerContext* ctx, const api::v1::RespondActivityTaskCompletedRequest* req,
    api::v1::RespondActivityTaskCompletedResponse*) {
  return Handle(ctx, "RespondActivityTaskCompleted", req->namespace_(), "", [&]() -> absl::Status {
    auto ns = Resolve(req->namespace_());
    if (!ns.ok()) return ns.status();
    NoteTaskToken(req->task_token());
    if (auto s = ValidatePayloads(req->result(), "result"); !s.ok()) return s;
    return history_->RespondActivityTaskCompleted(*ns, *req);
  });
}

grpc::Status WorkflowServiceHandler::RespondActivityTaskFailed(
    grpc::ServerContext* ctx, const api::v1::RespondActivityTaskFailedRequest* req,
    api::v1::RespondActivityTaskFailedResponse*) {
  return Handle(ctx, "RespondActivityTaskFailed", req->namespace_(), "", [&]() -> absl::Status {
    auto ns = Resolve(req->namespace_());
    if (!ns.ok()) return ns.status();
    NoteTaskToken(req->task_token());
    if (req->failure().ByteSizeLong() > kMaxPayloadBytes) {
      return absl::InvalidArgumentError("failure is larger than 2 MB");
    }
    return history_->RespondActivityTaskFailed(*ns, *req);
  });
}

grpc::Status WorkflowServiceHandler::RespondActivityTaskCanceled(
    grpc::ServerContext* ctx, const api::v1::RespondActivityTaskCanceledRequest* req,
    api::v1::RespondActivityTaskCanceledResponse*) {
  return Handle(ctx, "RespondActivityTaskCanceled", req->namespace_(), "", [&]() -> absl::Status {
    auto ns = Resolve(req->namespace_());
    if (!ns.ok()) return ns.status();
    NoteTaskToken(req->task_token());
    if (auto s = ValidatePayloads(req->details(), "details"); !s.ok()) return s;
    return history_->RespondActivityTaskCanceled(*ns, *req);
  });
}

}  // namespace weft::frontend
