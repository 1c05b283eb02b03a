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
//   PayloadError      a payload could not be decoded into the requested type.
//
// Thread safety: plain immutable values, safe to copy across threads.
#ifndef WEFT_ERRORS_H_
#define WEFT_ERRORS_H_

#include <stdexcept>
#include <string>

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

class ActivityError : public std::runtime_error {
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

class CanceledError : public std::runtime_error {
 public:
  explicit CanceledError(const std::string& message = "canceled") : std::runtime_error(message) {}
};

class PayloadError : public std::runtime_error {
 public:
  explicit PayloadError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace weft

#endif  // WEFT_ERRORS_H_
