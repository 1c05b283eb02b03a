// weft::WorkflowContext: everything a workflow may do besides pure computation.
//
// Workflow code must be deterministic: replaying the same history must issue the same
// commands. So time, randomness, ids and side effects come from the context, never from the
// OS, and all waiting is done by co_await on futures that the context returns:
//
//   auto greeting = co_await ctx.ExecuteActivity<std::string>("Compose", {.start_to_close = 10s},
//   name); co_await ctx.Sleep(1s); auto approved = co_await
//   ctx.GetSignalChannel("approve").Receive<bool>(); size_t first = co_await ctx.WhenAny(timer,
//   approval);
//
// Thread safety: none. A context is created by the runtime for one replay of one workflow
// task and is only valid inside that workflow's coroutines; don't keep it elsewhere.
#ifndef WEFT_WORKFLOW_CONTEXT_H_
#define WEFT_WORKFLOW_CONTEXT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "weft/api/v1/common.pb.h"
#include "weft/future.h"
#include "weft/payload.h"
#include "weft/retry_policy.h"
#include "weft/signal_channel.h"

namespace weft {

namespace detail {
class WorkflowRuntime;
}  // namespace detail

// Zero durations are "not set" (the server applies its defaults and validation).
struct ActivityOptions {
  std::chrono::milliseconds start_to_close{0};
  std::chrono::milliseconds schedule_to_close{0};
  std::chrono::milliseconds schedule_to_start{0};
  std::chrono::milliseconds heartbeat_timeout{0};
  std::optional<RetryPolicy> retry_policy;  // unset: the server's default policy
  std::string_view task_queue;              // empty: the workflow's task queue
};
// ActivityOptions is usually a braced temporary inside a co_await expression. GCC 12
// destroys such aggregate temporaries twice (and moves them bitwise) when the coroutine
// suspends, so the type must stay trivially copyable: views, no owning members.
static_assert(std::is_trivially_copyable_v<ActivityOptions> &&
              std::is_trivially_destructible_v<ActivityOptions>);

struct WorkflowInfo {
  std::string namespace_name;
  std::string workflow_id;
  std::string run_id;
  std::string workflow_type;
  std::string task_queue;
  int32_t attempt = 1;
};

// A durable timer. Cancel() before it fires sends CancelTimer; awaiting a canceled timer
// throws weft::CanceledError.
class TimerFuture : public Future<void> {
 public:
  TimerFuture(std::shared_ptr<detail::FutureState<void>> state, detail::WorkflowRuntime* runtime,
              std::string timer_id)
      : Future<void>(std::move(state)), runtime_(runtime), timer_id_(std::move(timer_id)) {}

  void Cancel();
  const std::string& timer_id() const { return timer_id_; }

 private:
  detail::WorkflowRuntime* runtime_;
  std::string timer_id_;
};

class WorkflowContext {
 public:
  explicit WorkflowContext(detail::WorkflowRuntime* runtime) : runtime_(runtime) {}
  WorkflowContext(const WorkflowContext&) = delete;
  WorkflowContext& operator=(const WorkflowContext&) = delete;

  // Schedules activity `name` with one payload per argument. co_await yields its result
  // decoded as R, or throws weft::ActivityError when it failed, timed out or was canceled.
  template <typename R, typename... Args>
  Future<R> ExecuteActivity(std::string_view name, const ActivityOptions& options,
                            const Args&... args) {
    Future<api::v1::Payloads> raw = ScheduleActivity(name, options, ToPayloads(args...));
    return detail::Transform<R>(raw, [](const api::v1::Payloads& result) {
      if constexpr (std::is_void_v<R>) {
        return;
      } else {
        return FromFirstPayload<R>(result);
      }
    });
  }

  // The non-template core of ExecuteActivity: the result payloads, undecoded.
  Future<api::v1::Payloads> ScheduleActivity(std::string_view name, const ActivityOptions& options,
                                             api::v1::Payloads input);

  // A durable timer (StartTimer command). A duration <= 0 is ready at once, without a command.
  TimerFuture NewTimer(std::chrono::milliseconds duration);
  TimerFuture Sleep(std::chrono::milliseconds duration) { return NewTimer(duration); }

  // The channel of signals named `name` (created on first use; the reference stays valid for
  // the rest of the workflow task).
  SignalChannel& GetSignalChannel(std::string_view name);

  template <typename... Ts>
  Future<void> WhenAll(const Future<Ts>&... futures) {
    return weft::WhenAll(futures...);
  }
  template <typename... Ts>
  Future<size_t> WhenAny(const Future<Ts>&... futures) {
    return weft::WhenAny(futures...);
  }

  // The start time of the current workflow task (the WorkflowTaskStarted event's time).
  std::chrono::system_clock::time_point Now() const;
  // Deterministic pseudo-random numbers, seeded from the run id.
  uint64_t Random();
  // Uniform in [0, 1).
  double RandomDouble();
  // A random (version 4 format) UUID drawn from Random().
  std::string NewUuid();

  // Runs fn once and records its result in history (a "SideEffect" marker); replays return
  // the recorded value without calling fn. fn must not fail; T is JSON-encoded.
  template <typename T, typename F>
  T SideEffect(F&& fn) {
    api::v1::Payload recorded =
        SideEffectPayload([&fn]() -> api::v1::Payload { return ToPayload<T>(fn()); });
    return FromPayload<T>(recorded);
  }
  api::v1::Payload SideEffectPayload(const std::function<api::v1::Payload()>& fn);

  // Whether the run was asked to cancel (WorkflowExecutionCancelRequested). Cancellation is
  // cooperative: throw weft::CanceledError to accept it.
  bool IsCancelRequested() const;
  // Ready once a cancel request arrives.
  Future<void> CancelRequested();

  const WorkflowInfo& Info() const;

  // True while the code re-runs a workflow task that already completed (its commands are
  // matched against history instead of being sent). Useful to silence logging.
  bool IsReplaying() const;

 private:
  detail::WorkflowRuntime* runtime_;
};

}  // namespace weft

#endif  // WEFT_WORKFLOW_CONTEXT_H_
