// Child workflows: the options a workflow starts a child with and the handle it gets back.
//
//   auto child = ctx.StartChildWorkflow<int>("Square", {.workflow_id = "sq-3"}, 3);
//   std::string run_id = co_await child.Started();  // the child is running
//   co_await child.Signal("go", true);               // SignalExternal, to this child only
//   int nine = co_await child;                       // its result, or a ChildWorkflowError
//   int sixteen = co_await ctx.ExecuteChildWorkflow<int>("Square", {}, 4);
//
// A child is its own workflow execution (own history, own id), started by the server on the
// parent's behalf; the parent's history records ChildWorkflowExecutionStarted and the outcome
// (Completed, Failed, Canceled, TimedOut, Terminated). When the parent closes, the
// parent-close policy decides what happens to a child still running. Canceling the scope the
// child was started in (or the parent, through a cancel request) asks the child to cancel
// (RequestCancelExternal); the child's result future then throws ChildWorkflowCanceledError
// once the child closed as canceled (or its result, if it finished anyway).
//
// Thread safety: none; workflow code only, like WorkflowContext.
#ifndef WEFT_CHILD_WORKFLOW_H_
#define WEFT_CHILD_WORKFLOW_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "weft/api/v1/common.pb.h"
#include "weft/api/v1/enums.pb.h"
#include "weft/future.h"
#include "weft/payload.h"
#include "weft/retry_policy.h"

namespace weft {

namespace detail {
class WorkflowRuntime;
void RequestCancelChild(WorkflowRuntime* runtime, const std::string& workflow_id);
Future<void> SignalChild(WorkflowRuntime* runtime, const std::string& workflow_id,
                         std::string_view signal_name, api::v1::Payloads input);
}  // namespace detail

// What happens to a running child when its parent closes (Temporal's policies).
enum class ParentClosePolicy {
  kTerminate,      // the child is terminated (the default)
  kRequestCancel,  // the child gets a cancel request and decides
  kAbandon,        // the child keeps running on its own
};

// Zero durations and empty strings are "not set": the server's defaults, or the parent's
// task queue and namespace.
struct ChildWorkflowOptions {
  // Empty: "<parent workflow id>/child-<n>" (n counts the run's children from 1), with the
  // parent's run id in the middle for a run that continued as new, so it is deterministic.
  std::string_view workflow_id;
  std::string_view task_queue;
  std::string_view namespace_name;
  std::chrono::milliseconds execution_timeout{0};
  std::chrono::milliseconds run_timeout{0};
  std::chrono::milliseconds task_timeout{0};
  std::optional<RetryPolicy> retry_policy;
  ParentClosePolicy parent_close_policy = ParentClosePolicy::kTerminate;
  api::v1::WorkflowIdReusePolicy id_reuse_policy = api::v1::WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED;
};
// Like ActivityOptions: a braced temporary in a co_await expression must stay trivially
// copyable under GCC 12 (see workflow_context.h).
static_assert(std::is_trivially_copyable_v<ChildWorkflowOptions> &&
              std::is_trivially_destructible_v<ChildWorkflowOptions>);

// A started child workflow: a Future of its result, plus its start and its id.
template <typename R>
class ChildWorkflowFuture : public Future<R> {
 public:
  ChildWorkflowFuture(Future<R> result, Future<std::string> started,
                      detail::WorkflowRuntime* runtime, std::string workflow_id)
      : Future<R>(std::move(result)),
        started_(std::move(started)),
        runtime_(runtime),
        workflow_id_(std::move(workflow_id)) {}

  // Ready with the child's run id once it runs; throws ChildWorkflowError if it could not
  // start (WorkflowAlreadyExists, NamespaceNotFound) or CanceledError if canceled first.
  Future<std::string> Started() const { return started_; }
  const std::string& workflow_id() const { return workflow_id_; }

  // Asks the child to cancel (see the file comment). A no-op once it finished.
  void Cancel() {
    if (runtime_ != nullptr) detail::RequestCancelChild(runtime_, workflow_id_);
  }

  // Sends signal `name` to this child (SignalExternalWorkflow limited to children). Ready
  // when delivered; throws ExternalWorkflowError if the child is no longer running.
  template <typename... Args>
  Future<void> Signal(std::string_view name, const Args&... args) {
    return detail::SignalChild(runtime_, workflow_id_, name, ToPayloads(args...));
  }

 private:
  Future<std::string> started_;
  detail::WorkflowRuntime* runtime_;
  std::string workflow_id_;
};

}  // namespace weft

#endif  // WEFT_CHILD_WORKFLOW_H_
