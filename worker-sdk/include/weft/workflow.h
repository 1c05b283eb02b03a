// weft::Workflow<T>: the return type of workflow coroutines.
//
// A workflow is a C++20 coroutine taking a WorkflowContext& first:
//
//   weft::Workflow<std::string> Greet(weft::WorkflowContext& ctx, std::string name) {
//     auto greeting = co_await ctx.ExecuteActivity<std::string>(
//         "ComposeGreeting", {.start_to_close = std::chrono::seconds(10)}, name);
//     co_await ctx.Sleep(std::chrono::seconds(1));
//     co_return greeting;
//   }
//
// Workflow<T> is also awaitable from other workflow coroutines, so a workflow can be split
// into helper coroutines (`std::string s = co_await Helper(ctx);`). The coroutine starts
// lazily: when it is first awaited (or started by the runtime). Exceptions propagate to the
// awaiting coroutine; at the top level they fail or cancel the workflow.
//
// Thread safety: none; owned by the caller (move-only), destroying it destroys the frame.
#ifndef WEFT_WORKFLOW_H_
#define WEFT_WORKFLOW_H_

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

#include "weft/future.h"
#include "weft/workflow_context.h"

namespace weft {

template <typename T>
class Workflow;

namespace detail {

class WorkflowPromiseBase {
 public:
  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> handle) noexcept {
      std::coroutine_handle<> next = handle.promise().continuation_;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() { error_ = std::current_exception(); }

  std::coroutine_handle<> continuation_;
  std::exception_ptr error_;
};

template <typename T>
class WorkflowPromise : public WorkflowPromiseBase {
 public:
  Workflow<T> get_return_object();
  template <typename U>
  void return_value(U&& value) {
    value_.emplace(std::forward<U>(value));
  }
  T TakeResult() {
    if (error_) std::rethrow_exception(error_);
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
};

template <>
class WorkflowPromise<void> : public WorkflowPromiseBase {
 public:
  Workflow<void> get_return_object();
  void return_void() {}
  void TakeResult() {
    if (error_) std::rethrow_exception(error_);
  }
};

}  // namespace detail

template <typename T>
class [[nodiscard]] Workflow {
 public:
  using promise_type = detail::WorkflowPromise<T>;
  using ValueType = T;

  explicit Workflow(std::coroutine_handle<promise_type> handle) : handle_(handle) {}
  Workflow(Workflow&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Workflow& operator=(Workflow&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Workflow(const Workflow&) = delete;
  Workflow& operator=(const Workflow&) = delete;
  ~Workflow() {
    if (handle_) handle_.destroy();
  }

  // Awaiting a Workflow runs it until it finishes and yields its result (or rethrows).
  bool await_ready() const noexcept { return !handle_ || handle_.done(); }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
    handle_.promise().continuation_ = awaiting;
    return handle_;
  }
  T await_resume() { return handle_.promise().TakeResult(); }

  // For the runtime: the coroutine handle of a top-level workflow.
  std::coroutine_handle<promise_type> handle() const { return handle_; }

 private:
  std::coroutine_handle<promise_type> handle_;
};

namespace detail {
template <typename T>
Workflow<T> WorkflowPromise<T>::get_return_object() {
  return Workflow<T>(std::coroutine_handle<WorkflowPromise<T>>::from_promise(*this));
}
inline Workflow<void> WorkflowPromise<void>::get_return_object() {
  return Workflow<void>(std::coroutine_handle<WorkflowPromise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace weft

#endif  // WEFT_WORKFLOW_H_
