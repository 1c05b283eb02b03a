// Exception types that workflow and activity code throws and catches.
//
// Exceptions are used only inside user workflow/activity code paths: the SDK turns them into
// failures (FailWorkflowExecution, RespondActivityTaskFailed, ...) at its boundary, and every
// public API outside those paths returns absl::Status instead.
//
//   ApplicationError  thrown by user code to fail a workflow or an activity with a type that
//                     retry policies can match (non_retryable stops activity retries).
//   ActivityError     thrown by co_await on an activity future when the activity failed, timed
//                     out or was canceled; carries the server-side failure.
//   CanceledError     thrown to acknowledge a cancellation (workflow or activity), and by
//                     awaiting a canceled timer.
//   ActivityCanceledError  an ActivityError that is also a CanceledError: thrown by co_await
//                     on an activity that was canceled (ActivityTaskCanceled, or canceled
//                     before its schedule command was sent).
//   ChildWorkflowError  thrown by co_await on a child workflow that failed, timed out, was
//                     terminated or did not start; ChildWorkflowCanceledError when canceled.
//   ExternalWorkflowError  a signal or cancel request to another workflow found no target.
//   PayloadError      a payload could not be decoded into the requested type.
//   ContinueAsNewError  not an error: thrown by WorkflowContext::ContinueAsNew to end the run
//                     and start a new one. It deliberately does not derive from
//                     std::exception, so `catch (const std::exception&)` in workflow code
//                     does not swallow it.
//
// Thread safety: plain immutable values, safe to copy across threads.
#ifndef WEFT_ERRORS_H_
#define WEFT_ERRORS_H_

#include <chrono>
#include <stdexcept>
#include <string>

#include "weft/api/v1/common.pb.h"

namespace weft {

class ApplicationError : public std::runtime_error {
 public:
  explicit ApplicationError(const std::string& message, std::string type = "ApplicationError",
                            bool non_retryable = false)
      : std::runtime_error(message), type_(std::move(type)), non_retryable_(non_retryable) {}

  const std::string& type() const { return type_; }
  bool non_retryable() const { return non_retryable_; }

 private:
  std::string type_;
  bool non_retryable_;
};

// ActivityError and CanceledError share one virtual std::runtime_error base so that
// ActivityCanceledError, which is both, is still caught by `catch (const std::exception&)`.
class ActivityError : public virtual std::runtime_error {
 public:
  // `message` is the activity's failure message; `type` its failure type (for timeouts
  // "TimeoutError", for cancellation "CanceledError").
  ActivityError(const std::string& activity_type, const std::string& activity_id,
                const std::string& message, std::string type)
      : std::runtime_error(message),
        activity_type_(activity_type),
        activity_id_(activity_id),
        type_(std::move(type)) {}

  const std::string& activity_type() const { return activity_type_; }
  const std::string& activity_id() const { return activity_id_; }
  const std::string& type() const { return type_; }

 private:
  std::string activity_type_;
  std::string activity_id_;
  std::string type_;
};

class CanceledError : public virtual std::runtime_error {
 public:
  explicit CanceledError(const std::string& message = "canceled") : std::runtime_error(message) {}
  // `details` (e.g. weft::ToPayloads(what_was_undone)) end up in the run's
  // WorkflowExecutionCanceled event when a workflow accepts its cancellation with it.
  CanceledError(const std::string& message, api::v1::Payloads details)
      : std::runtime_error(message), details_(std::move(details)) {}

  const api::v1::Payloads& details() const { return details_; }

 private:
  api::v1::Payloads details_;
};

class ActivityCanceledError : public ActivityError, public CanceledError {
 public:
  ActivityCanceledError(const std::string& activity_type, const std::string& activity_id,
                        const std::string& message)
      : std::runtime_error(message),
        ActivityError(activity_type, activity_id, message, "CanceledError"),
        CanceledError(message) {}
};

// Thrown by co_await on a child workflow (see weft/child_workflow.h) that failed, timed out,
// was terminated or could not start. type() is the child's failure type, or "TimeoutError",
// "TerminatedError", "WorkflowAlreadyExists", "NamespaceNotFound".
class ChildWorkflowError : public virtual std::runtime_error {
 public:
  ChildWorkflowError(const std::string& workflow_type, const std::string& workflow_id,
                     const std::string& run_id, const std::string& message, std::string type)
      : std::runtime_error(message),
        workflow_type_(workflow_type),
        workflow_id_(workflow_id),
        run_id_(run_id),
        type_(std::move(type)) {}

  const std::string& workflow_type() const { return workflow_type_; }
  const std::string& workflow_id() const { return workflow_id_; }
  const std::string& run_id() const { return run_id_; }
  const std::string& type() const { return type_; }

 private:
  std::string workflow_type_;
  std::string workflow_id_;
  std::string run_id_;
  std::string type_;
};

// A child workflow that closed as canceled: both a ChildWorkflowError and a CanceledError.
class ChildWorkflowCanceledError : public ChildWorkflowError, public CanceledError {
 public:
  ChildWorkflowCanceledError(const std::string& workflow_type, const std::string& workflow_id,
                             const std::string& run_id, const std::string& message)
      : std::runtime_error(message),
        ChildWorkflowError(workflow_type, workflow_id, run_id, message, "CanceledError"),
        CanceledError(message) {}
};

// A SignalExternalWorkflow or RequestCancelExternalWorkflow whose target was not found
// (or, for a child's handle, is not a running child).
class ExternalWorkflowError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PayloadError : public std::runtime_error {
 public:
  explicit PayloadError(const std::string& message) : std::runtime_error(message) {}
};

// What the next run of a workflow that continues as new gets; empty fields (and zero
// durations) keep the current run's values.
struct ContinueAsNewOptions {
  std::string workflow_type;
  std::string task_queue;
  std::chrono::milliseconds run_timeout{0};
  std::chrono::milliseconds task_timeout{0};
};

class ContinueAsNewError {
 public:
  explicit ContinueAsNewError(api::v1::Payloads input, ContinueAsNewOptions options = {})
      : input_(std::move(input)), options_(std::move(options)) {}

  const api::v1::Payloads& input() const { return input_; }
  const ContinueAsNewOptions& options() const { return options_; }

 private:
  api::v1::Payloads input_;
  ContinueAsNewOptions options_;
};

}  // namespace weft

#endif  // WEFT_ERRORS_H_
