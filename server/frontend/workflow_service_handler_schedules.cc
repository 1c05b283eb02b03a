// WorkflowService schedule RPCs: admitted through Handle() like every call, validated here,
// and carried out by the scheduler (server/scheduler).
#include "absl/strings/str_cat.h"
#include "server/frontend/validation.h"
#include "server/frontend/workflow_service_handler.h"
#include "server/scheduler/scheduler.h"

namespace weft::frontend {
namespace {

// The start request an action will send, checked with the same rules as a direct start, so a
// schedule cannot be created that would fail at every action.
absl::Status ValidateScheduleAction(const std::string& schedule_id,
                                    const api::v1::Schedule& schedule) {
  if (auto s = scheduler::Scheduler::Validate(schedule); !s.ok()) return s;
  const auto& wf = schedule.action().start_workflow();
  api::v1::StartWorkflowExecutionRequest start;
  start.set_workflow_id(absl::StrCat(wf.workflow_id().empty() ? schedule_id : wf.workflow_id(),
                                     "-2026-01-01T00:00:00.000Z"));
  *start.mutable_workflow_type() = wf.workflow_type();
  *start.mutable_task_queue() = wf.task_queue();
  *start.mutable_input() = wf.input();
  *start.mutable_workflow_execution_timeout() = wf.workflow_execution_timeout();
  *start.mutable_workflow_run_timeout() = wf.workflow_run_timeout();
  *start.mutable_workflow_task_timeout() = wf.workflow_task_timeout();
  *start.mutable_retry_policy() = wf.retry_policy();
  *start.mutable_memo() = wf.memo();
  if (auto s = ValidateStart(start); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("schedule.action.start_workflow: ", s.message()));
  }
  return absl::OkStatus();
}

absl::Status NoScheduler() {
  return absl::UnimplementedError("schedules are not enabled on this server");
}

}  // namespace

grpc::Status WorkflowServiceHandler::CreateSchedule(grpc::ServerContext* ctx,
                                                    const api::v1::CreateScheduleRequest* req,
                                                    api::v1::CreateScheduleResponse*) {
  return Handle(
      ctx, "CreateSchedule", req->namespace_(), req->schedule_id(), [&]() -> absl::Status {
        if (scheduler_ == nullptr) return NoScheduler();
        auto ns = ResolveForRun(req->namespace_(), req->schedule_id(), "schedule_id");
        if (!ns.ok()) return ns.status();
        if (auto s = ValidateId(req->request_id(), "request_id", false); !s.ok()) {
          return s;
        }
        if (!req->has_schedule()) {
          return absl::InvalidArgumentError("schedule is required");
        }
        if (auto s = ValidateScheduleAction(req->schedule_id(), req->schedule()); !s.ok()) {
          return s;
        }
        return scheduler_->Create(*ns, *req);
      });
}

grpc::Status WorkflowServiceHandler::DescribeSchedule(grpc::ServerContext* ctx,
                                                      const api::v1::DescribeScheduleRequest* req,
                                                      api::v1::DescribeScheduleResponse* resp) {
  return Handle(ctx, "DescribeSchedule", req->namespace_(), req->schedule_id(),
                [&]() -> absl::Status {
                  if (scheduler_ == nullptr) return NoScheduler();
                  auto ns = ResolveForRun(req->namespace_(), req->schedule_id(), "schedule_id");
                  if (!ns.ok()) return ns.status();
                  auto r = scheduler_->Describe(*ns, req->schedule_id());
                  if (!r.ok()) return r.status();
                  *resp = std::move(*r);
                  return absl::OkStatus();
                });
}

grpc::Status WorkflowServiceHandler::UpdateSchedule(grpc::ServerContext* ctx,
                                                    const api::v1::UpdateScheduleRequest* req,
                                                    api::v1::UpdateScheduleResponse*) {
  return Handle(
      ctx, "UpdateSchedule", req->namespace_(), req->schedule_id(), [&]() -> absl::Status {
        if (scheduler_ == nullptr) return NoScheduler();
        auto ns = ResolveForRun(req->namespace_(), req->schedule_id(), "schedule_id");
        if (!ns.ok()) return ns.status();
        if (!req->has_schedule()) {
          return absl::InvalidArgumentError("schedule is required");
        }
        if (auto s = ValidateScheduleAction(req->schedule_id(), req->schedule()); !s.ok()) {
          return s;
        }
        return scheduler_->Update(*ns, *req);
      });
}

grpc::Status WorkflowServiceHandler::PatchSchedule(grpc::ServerContext* ctx,
                                                   const api::v1::PatchScheduleRequest* req,
                                                   api::v1::PatchScheduleResponse*) {
  return Handle(ctx, "PatchSchedule", req->namespace_(), req->schedule_id(), [&]() -> absl::Status {
    if (scheduler_ == nullptr) return NoScheduler();
    auto ns = ResolveForRun(req->namespace_(), req->schedule_id(), "schedule_id");
    if (!ns.ok()) return ns.status();
    return scheduler_->Patch(*ns, *req);
  });
}

grpc::Status WorkflowServiceHandler::DeleteSchedule(grpc::ServerContext* ctx,
                                                    const api::v1::DeleteScheduleRequest* req,
                                                    api::v1::DeleteScheduleResponse*) {
  return Handle(ctx, "DeleteSchedule", req->namespace_(), req->schedule_id(),
                [&]() -> absl::Status {
                  if (scheduler_ == nullptr) return NoScheduler();
                  auto ns = ResolveForRun(req->namespace_(), req->schedule_id(), "schedule_id");
                  if (!ns.ok()) return ns.status();
                  return scheduler_->Delete(*ns, req->schedule_id());
                });
}

grpc::Status WorkflowServiceHandler::ListSchedules(grpc::ServerContext* ctx,
                                                   const api::v1::ListSchedulesRequest* req,
                                                   api::v1::ListSchedulesResponse* resp) {
  return Handle(ctx, "ListSchedules", req->namespace_(), "", [&]() -> absl::Status {
    if (scheduler_ == nullptr) return NoScheduler();
    auto ns = Resolve(req->namespace_());
    if (!ns.ok()) return ns.status();
    if (req->maximum_page_size() < 0) {
      return absl::InvalidArgumentError("maximum_page_size must not be negative");
    }
    auto r = scheduler_->List(*ns, *req);
    if (!r.ok()) return r.status();
    *resp = std::move(*r);
    return absl::OkStatus();
  });
}

}  // namespace weft::frontend
