// WorkflowServiceHandler: the task-queue calls (DescribeTaskQueue). Part of
// WorkflowServiceHandler; see workflow_service_handler.h.
#include "absl/strings/str_cat.h"
#include "server/frontend/validation.h"
#include "server/frontend/workflow_service_handler.h"

namespace weft::frontend {

grpc::Status WorkflowServiceHandler::DescribeTaskQueue(grpc::ServerContext* ctx,
                                                       const api::v1::DescribeTaskQueueRequest* req,
                                                       api::v1::DescribeTaskQueueResponse* resp) {
  return Handle(
      ctx, "DescribeTaskQueue", req->namespace_(), req->task_queue().name(), [&]() -> absl::Status {
        auto ns = Resolve(req->namespace_());
        if (!ns.ok()) return ns.status();
        if (auto s = ValidateId(req->task_queue().name(), "task_queue.name"); !s.ok()) {
          return s;
        }
        internal::TaskKind kind;
        switch (req->task_queue_type()) {
          case api::v1::TASK_QUEUE_TYPE_UNSPECIFIED:
          case api::v1::TASK_QUEUE_TYPE_WORKFLOW:
            kind = internal::TASK_KIND_WORKFLOW;
            break;
          case api::v1::TASK_QUEUE_TYPE_ACTIVITY:
            kind = internal::TASK_KIND_ACTIVITY;
            break;
          default:
            return absl::InvalidArgumentError(
                absl::StrCat("task_queue_type ", req->task_queue_type(),
                             " is not a known TaskQueueType value (WORKFLOW or ACTIVITY)"));
        }
        auto d = matching_->DescribeTaskQueue({ns->id, req->task_queue().name(), kind, ns->name});
        if (!d.ok()) return d.status();
        *resp = *std::move(d);
        return absl::OkStatus();
      });
}

}  // namespace weft::frontend
