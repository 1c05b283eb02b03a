// WorkflowRuntime's child workflows, SignalExternalWorkflow and RequestCancelExternalWorkflow
// (see weft/child_workflow.h and workflow_runtime.h).
//
// A child is known by its workflow id (unique among the run's pending children), so its
// events find it by initiated event id or, failing that, by workflow id. External requests
// carry a sequence number in the command's `control`, which their outcome events echo.
// Canceling a child that has not started yet waits for ChildWorkflowExecutionStarted, then
// sends RequestCancelExternal (child_workflow_only): a cancel is delivered at the same point
// of every replay, so the commands stay deterministic.
#include "absl/strings/str_cat.h"
#include "proto_time.h"
#include "weft/errors.h"
#include "workflow_runtime.h"

namespace weft::detail {

using api::v1::Command;
using api::v1::HistoryEvent;

void RequestCancelChild(WorkflowRuntime* runtime, const std::string& workflow_id) {
  runtime->RequestCancelChild(workflow_id);
}

Future<void> SignalChild(WorkflowRuntime* runtime, const std::string& workflow_id,
                         std::string_view signal_name, api::v1::Payloads input) {
  return runtime->SignalExternal(workflow_id, "", signal_name, std::move(input),
                                 /*child_workflow_only=*/true);
}

namespace {

api::v1::ParentClosePolicy ToProto(ParentClosePolicy p) {
  switch (p) {
    case ParentClosePolicy::kRequestCancel:
      return api::v1::PARENT_CLOSE_POLICY_REQUEST_CANCEL;
    case ParentClosePolicy::kAbandon:
      return api::v1::PARENT_CLOSE_POLICY_ABANDON;
    default:
      return api::v1::PARENT_CLOSE_POLICY_TERMINATE;
  }
}

}  // namespace

std::exception_ptr WorkflowRuntime::ChildError(const PendingChild& child,
                                               const std::string& message,
                                               const std::string& type) const {
  return std::make_exception_ptr(
      ChildWorkflowError(child.workflow_type, child.workflow_id, child.run_id, message, type));
}

ChildWorkflowFuture<api::v1::Payloads> WorkflowRuntime::StartChild(
    std::string_view type, const ChildWorkflowOptions& options, api::v1::Payloads input,
    ScopeState* scope) {
  if (scope == nullptr) scope = root_scope_.get();
  ++child_sequence_;
  std::string workflow_id(options.workflow_id);
  if (workflow_id.empty()) {
    workflow_id = info_.continued_run_id.empty()
                      ? absl::StrCat(info_.workflow_id, "/child-", child_sequence_)
                      : absl::StrCat(info_.workflow_id, "/", info_.run_id.substr(0, 8), "/child-",
                                     child_sequence_);
  }
  PendingChild child;
  child.workflow_id = workflow_id;
  child.workflow_type = std::string(type);
  child.started = std::make_shared<FutureState<std::string>>(this);
  child.result = std::make_shared<FutureState<api::v1::Payloads>>(this);
  auto handle = [&](const PendingChild& c) {
    return ChildWorkflowFuture<api::v1::Payloads>(
        Future<api::v1::Payloads>(c.result), Future<std::string>(c.started), this, workflow_id);
  };
  if (scope->canceled || children_.contains(workflow_id)) {
    std::string why = scope->canceled
                          ? absl::StrCat("child workflow ", workflow_id,
                                         " not started: its cancellation scope is canceled")
                          : absl::StrCat("child workflow id ", workflow_id,
                                         " is already used by a running child of this workflow");
    std::exception_ptr error = scope->canceled ? std::make_exception_ptr(ChildWorkflowCanceledError(
                                                     child.workflow_type, workflow_id, "", why))
                                               : ChildError(child, why, "WorkflowAlreadyExists");
    child.started->SetError(error);
    child.result->SetError(error);
    return handle(child);
  }

  Command command;
  command.set_command_type(api::v1::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION);
  auto* a = command.mutable_start_child_workflow_execution_command_attributes();
  a->set_namespace_(std::string(options.namespace_name));
  a->set_workflow_id(workflow_id);
  a->mutable_workflow_type()->set_name(std::string(type));
  if (!options.task_queue.empty())
    a->mutable_task_queue()->set_name(std::string(options.task_queue));
  *a->mutable_input() = std::move(input);
  if (options.execution_timeout.count() > 0) {
    *a->mutable_workflow_execution_timeout() = ToProtoDuration(options.execution_timeout);
  }
  if (options.run_timeout.count() > 0) {
    *a->mutable_workflow_run_timeout() = ToProtoDuration(options.run_timeout);
  }
  if (options.task_timeout.count() > 0) {
    *a->mutable_workflow_task_timeout() = ToProtoDuration(options.task_timeout);
  }
  a->set_parent_close_policy(ToProto(options.parent_close_policy));
  a->set_workflow_id_reuse_policy(options.id_reuse_policy);
  if (options.retry_policy) *a->mutable_retry_policy() = options.retry_policy->ToProto();

  const HistoryEvent* event = IssueCommand(std::move(command));
  if (event != nullptr) child.initiated_event_id = event->event_id();
  auto out = handle(child);
  children_[workflow_id] = std::move(child);
  scope->child_workflows.push_back(workflow_id);
  return out;
}

WorkflowRuntime::PendingChild* WorkflowRuntime::FindChild(int64_t initiated_event_id,
                                                          const std::string& workflow_id) {
  if (initiated_event_id != 0) {
    for (auto& [id, child] : children_) {
      if (child.initiated_event_id == initiated_event_id) return &child;
    }
  }
  auto it = children_.find(workflow_id);
  return it == children_.end() ? nullptr : &it->second;
}

void WorkflowRuntime::SendChildCancel(PendingChild& child) {
  if (child.cancel_sent) return;
  child.cancel_sent = true;
  Command command;
  command.set_command_type(api::v1::COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION);
  auto* a = command.mutable_request_cancel_external_workflow_execution_command_attributes();
  a->set_workflow_id(child.workflow_id);
  a->set_child_workflow_only(true);
  a->set_reason("the parent canceled the child's scope");
  a->set_control(absl::StrCat("cancel-child:", child.workflow_id));
  IssueCommand(std::move(command));
}

void WorkflowRuntime::RequestCancelChild(const std::string& workflow_id) {
  auto it = children_.find(workflow_id);
  if (it == children_.end() || it->second.cancel_requested) return;  // done, or asked already
  PendingChild& child = it->second;
  child.cancel_requested = true;
  // Its start command was not sent (it is still in this task's commands, or in replay it
  // matched no event yet): drop it, nothing reaches the server.
  size_t dropped_commands =
      replaying_
          ? deferred_schedules_.erase("child:" + workflow_id)
          : std::erase_if(commands_, [&workflow_id](const Command& c) {
              return c.command_type() == api::v1::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION &&
                     c.start_child_workflow_execution_command_attributes().workflow_id() ==
                         workflow_id;
            });
  if (dropped_commands > 0) {
    PendingChild dropped = std::move(child);
    children_.erase(it);
    auto error = std::make_exception_ptr(ChildWorkflowCanceledError(
        dropped.workflow_type, dropped.workflow_id, "",
        absl::StrCat("child workflow ", dropped.workflow_id, " canceled before it started")));
    dropped.started->SetError(error);
    dropped.result->SetError(error);
    return;
  }
  // Started: ask it now. Initiated only: ask once ChildWorkflowExecutionStarted arrives.
  if (!child.run_id.empty()) SendChildCancel(child);
}

Future<void> WorkflowRuntime::SignalExternal(std::string_view workflow_id, std::string_view run_id,
                                             std::string_view signal_name, api::v1::Payloads input,
                                             bool child_workflow_only) {
  auto state = std::make_shared<FutureState<void>>(this);
  std::string control = NextId();
  Command command;
  command.set_command_type(api::v1::COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION);
  auto* a = command.mutable_signal_external_workflow_execution_command_attributes();
  a->mutable_execution()->set_workflow_id(std::string(workflow_id));
  a->mutable_execution()->set_run_id(std::string(run_id));
  a->set_signal_name(std::string(signal_name));
  *a->mutable_input() = std::move(input);
  a->set_control(control);
  a->set_child_workflow_only(child_workflow_only);
  const HistoryEvent* event = IssueCommand(std::move(command));
  if (event != nullptr) external_by_initiated_[event->event_id()] = control;
  external_requests_[control] = state;
  return Future<void>(state);
}

Future<void> WorkflowRuntime::RequestCancelExternal(std::string_view workflow_id,
                                                    std::string_view run_id) {
  auto state = std::make_shared<FutureState<void>>(this);
  std::string control = NextId();
  Command command;
  command.set_command_type(api::v1::COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION);
  auto* a = command.mutable_request_cancel_external_workflow_execution_command_attributes();
  a->set_workflow_id(std::string(workflow_id));
  a->set_run_id(std::string(run_id));
  a->set_control(control);
  const HistoryEvent* event = IssueCommand(std::move(command));
  if (event != nullptr) external_by_initiated_[event->event_id()] = control;
  external_requests_[control] = state;
  cancel_targets_[control] = std::string(workflow_id);
  return Future<void>(state);
}

bool WorkflowRuntime::DeliverChildEvent(const HistoryEvent& e) {
  using api::v1::EventType;
  // Resolves (and forgets) the child an outcome event names.
  auto finish = [this](int64_t initiated_id, const api::v1::WorkflowExecution& exec,
                       auto&& resolve) {
    PendingChild* found = FindChild(initiated_id, exec.workflow_id());
    if (found == nullptr) return;
    PendingChild child = std::move(*found);
    children_.erase(child.workflow_id);
    if (child.run_id.empty()) child.run_id = exec.run_id();
    child.started->SetValue(child.run_id);
    resolve(child);
  };
  // Resolves (and forgets) an external request's future.
  auto external = [this](const std::string& control, std::exception_ptr error) {
    auto it = external_requests_.find(control);
    if (it == external_requests_.end()) return;
    auto state = std::move(it->second);
    external_requests_.erase(it);
    if (error) {
      state->SetError(error);
    } else {
      state->SetValue();
    }
  };
  switch (e.event_type()) {
    case EventType::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED: {
      const auto& a = e.start_child_workflow_execution_failed_event_attributes();
      PendingChild* found = FindChild(a.initiated_event_id(), a.workflow_id());
      if (found == nullptr) return true;
      PendingChild child = std::move(*found);
      children_.erase(child.workflow_id);
      bool exists =
          a.cause() == api::v1::START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS;
      auto error = ChildError(
          child,
          exists ? absl::StrCat("child workflow ", child.workflow_id,
                                " not started: a workflow with that id is already running (or "
                                "its id-reuse policy forbids another run)")
                 : absl::StrCat("child workflow ", child.workflow_id, " not started: namespace \"",
                                a.namespace_(), "\" not found"),
          exists ? "WorkflowAlreadyExists" : "NamespaceNotFound");
      child.started->SetError(error);
      child.result->SetError(error);
      return true;
    }
    case EventType::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: {
      const auto& a = e.child_workflow_execution_started_event_attributes();
      PendingChild* child = FindChild(a.initiated_event_id(), a.workflow_execution().workflow_id());
      if (child == nullptr) return true;
      child->run_id = a.workflow_execution().run_id();
      child->started->SetValue(child->run_id);
      if (child->cancel_requested) SendChildCancel(*child);
      return true;
    }
    case EventType::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: {
      const auto& a = e.child_workflow_execution_completed_event_attributes();
      finish(a.initiated_event_id(), a.workflow_execution(),
             [&](PendingChild& c) { c.result->SetValue(a.result()); });
      return true;
    }
    case EventType::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: {
      const auto& a = e.child_workflow_execution_failed_event_attributes();
      finish(a.initiated_event_id(), a.workflow_execution(), [&](PendingChild& c) {
        c.result->SetError(
            ChildError(c,
                       absl::StrCat("child workflow ", c.workflow_type, " (", c.workflow_id,
                                    ") failed: ", a.failure().message()),
                       a.failure().type().empty() ? "ApplicationError" : a.failure().type()));
      });
      return true;
    }
    case EventType::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: {
      const auto& a = e.child_workflow_execution_canceled_event_attributes();
      finish(a.initiated_event_id(), a.workflow_execution(), [&](PendingChild& c) {
        c.result->SetError(std::make_exception_ptr(
            ChildWorkflowCanceledError(c.workflow_type, c.workflow_id, c.run_id,
                                       absl::StrCat("child workflow ", c.workflow_type, " (",
                                                    c.workflow_id, ") was canceled"))));
      });
      return true;
    }
    case EventType::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: {
      const auto& a = e.child_workflow_execution_timed_out_event_attributes();
      finish(a.initiated_event_id(), a.workflow_execution(), [&](PendingChild& c) {
        c.result->SetError(ChildError(
            c, absl::StrCat("child workflow ", c.workflow_type, " (", c.workflow_id, ") timed out"),
            "TimeoutError"));
      });
      return true;
    }
    case EventType::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: {
      const auto& a = e.child_workflow_execution_terminated_event_attributes();
      finish(a.initiated_event_id(), a.workflow_execution(), [&](PendingChild& c) {
        c.result->SetError(ChildError(c,
                                      absl::StrCat("child workflow ", c.workflow_type, " (",
                                                   c.workflow_id, ") was terminated"),
                                      "TerminatedError"));
      });
      return true;
    }
    case EventType::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
      external(e.external_workflow_execution_signaled_event_attributes().control(), nullptr);
      return true;
    case EventType::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: {
      const auto& a = e.signal_external_workflow_execution_failed_event_attributes();
      external(
          a.control(),
          std::make_exception_ptr(ExternalWorkflowError(absl::StrCat(
              "signal to workflow ", a.workflow_execution().workflow_id(), " not delivered: ",
              a.cause() ==
                      api::v1::SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND
                  ? "namespace not found"
                  : "no such running workflow"))));
      return true;
    }
    case EventType::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED: {
      const auto& a = e.external_workflow_execution_cancel_requested_event_attributes();
      auto it = external_by_initiated_.find(a.initiated_event_id());
      if (it != external_by_initiated_.end()) {
        external(it->second, nullptr);
        return true;
      }
      // Not bound to its initiated event (a command sent live): the oldest pending cancel
      // request to that workflow; they are answered in order.
      for (auto& [control, target] : cancel_targets_) {
        if (target == a.workflow_execution().workflow_id() &&
            external_requests_.contains(control)) {
          external(control, nullptr);
          break;
        }
      }
      return true;
    }
    case EventType::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: {
      const auto& a = e.request_cancel_external_workflow_execution_failed_event_attributes();
      external(
          a.control(),
          std::make_exception_ptr(ExternalWorkflowError(absl::StrCat(
              "cancel request to workflow ", a.workflow_execution().workflow_id(),
              " not delivered: ",
              a.cause() ==
                      api::v1::CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND
                  ? "namespace not found"
                  : "no such running workflow"))));
      return true;
    }
    default:
      return false;
  }
}

}  // namespace weft::detail
