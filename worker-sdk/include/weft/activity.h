// weft::ActivityContext: what a running activity can ask of the worker; and
// weft::ActivityDefinition, a registered activity function with its types erased.
//
// Activities are plain functions, optionally taking ActivityContext& first:
//
//   std::string Compose(std::string name) { return "Hello, " + name + "!"; }
//   int Upload(weft::ActivityContext& ctx, std::string path) {
//     for (...) { ctx.Heartbeat(progress); if (ctx.IsCancelRequested()) throw
//     weft::CanceledError(); } return bytes;
//   }
//
// Returning reports RespondActivityTaskCompleted; throwing weft::ApplicationError (message,
// type, non_retryable) or any std::exception reports RespondActivityTaskFailed; throwing
// weft::CanceledError after cancellation was requested reports RespondActivityTaskCanceled.
//
// Thread safety: an ActivityContext belongs to the one thread running the activity.
// ActivityDefinition is immutable and callable from many threads at once.
#ifndef WEFT_ACTIVITY_H_
#define WEFT_ACTIVITY_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "weft/api/v1/workflow_service.pb.h"
#include "weft/circuit_breaker.h"
#include "weft/logger.h"
#include "weft/payload.h"

namespace weft {

struct ActivityInfo {
  std::string namespace_name;
  std::string workflow_id;
  std::string run_id;
  std::string workflow_type;
  std::string activity_id;
  std::string activity_type;
  std::string task_queue;
  int32_t attempt = 1;
  std::chrono::milliseconds start_to_close_timeout{0};
  std::chrono::milliseconds heartbeat_timeout{0};
  // The W3C traceparent of this attempt's span (a span of the workflow's trace): send it on
  // to downstream services so their work joins the trace.
  std::string traceparent;
};

class ActivityContext {
 public:
  // Sends the heartbeat (details) to the server; returns whether cancellation is requested.
  // Implemented by the worker.
  using HeartbeatSender = std::function<bool(const api::v1::Payloads& details)>;

  ActivityContext(ActivityInfo info, api::v1::Payloads previous_details, HeartbeatSender sender);
  ActivityContext(const ActivityContext&) = delete;
  ActivityContext& operator=(const ActivityContext&) = delete;

  // Records progress (one payload per argument) and tells the server the activity is alive.
  // Calls are throttled to one RPC per interval (80% of the heartbeat timeout, at most 30 s;
  // 1 s when none is set); throttled calls only keep the latest details for the next RPC, or
  // for FlushHeartbeat(), which the worker calls before reporting a failure so that the next
  // attempt resumes from the latest progress.
  template <typename... Args>
  void Heartbeat(const Args&... details) {
    HeartbeatPayloads(ToPayloads(details...));
  }
  void HeartbeatPayloads(api::v1::Payloads details);
  // Sends the details a throttled Heartbeat kept, if any.
  void FlushHeartbeat();

  // Whether the server asked to cancel this activity (learned from heartbeat responses, so
  // an activity that wants to be cancellable must heartbeat).
  bool IsCancelRequested() const { return cancel_requested_.load(); }

  // The worker's circuit breaker for `key` (see circuit_breaker.h), shared by every
  // activity on the worker: ctx.Breaker("payments-api").Call([&] { ... }).
  CircuitBreaker& Breaker(std::string_view key);
  // For the worker: where Breaker() looks (default: one registry for the process).
  void set_breakers(CircuitBreakerRegistry* breakers) { breakers_ = breakers; }

  int32_t Attempt() const { return info_.attempt; }
  const ActivityInfo& Info() const { return info_; }
  // This attempt's W3C traceparent ("00-<trace id>-<span id>-01") and its trace id, for
  // propagating the trace to downstream calls (e.g. an HTTP `traceparent` header).
  const std::string& traceparent() const { return info_.traceparent; }
  std::string trace_id() const;
  // Structured log lines with the activity's fields and trace (weft/logger.h).
  TaskLogger logger() const;

  // The details of the last heartbeat of the previous attempt, decoded as T (first payload);
  // std::nullopt when the previous attempt recorded none.
  template <typename T>
  std::optional<T> HeartbeatDetails() const {
    if (previous_details_.payloads_size() == 0) return std::nullopt;
    return FromFirstPayload<T>(previous_details_);
  }
  const api::v1::Payloads& HeartbeatDetailsPayloads() const { return previous_details_; }

 private:
  ActivityInfo info_;
  api::v1::Payloads previous_details_;
  HeartbeatSender sender_;
  std::chrono::steady_clock::duration throttle_;
  std::chrono::steady_clock::time_point last_sent_{};
  bool sent_once_ = false;
  std::optional<api::v1::Payloads> unsent_details_;  // the latest throttled details
  std::atomic<bool> cancel_requested_{false};
  CircuitBreakerRegistry* breakers_ = nullptr;
};

namespace detail {

template <typename F>
struct ActivitySignature;
template <typename R, typename... Args>
struct ActivitySignature<std::function<R(Args...)>> {
  using Result = R;
  static constexpr bool kTakesContext = false;
  using ArgsTuple = std::tuple<std::decay_t<Args>...>;
};
template <typename R, typename... Args>
struct ActivitySignature<std::function<R(ActivityContext&, Args...)>> {
  using Result = R;
  static constexpr bool kTakesContext = true;
  using ArgsTuple = std::tuple<std::decay_t<Args>...>;
};

template <typename T>
T DecodeActivityArgument(const api::v1::Payloads& input, size_t index) {
  try {
    if (static_cast<int>(index) >= input.payloads_size()) {
      return FromPayload<T>(api::v1::Payload());
    }
    return FromPayload<T>(input.payloads(static_cast<int>(index)));
  } catch (const PayloadError& e) {
    throw PayloadError("argument " + std::to_string(index + 1) + ": " + e.what());
  }
}

template <typename Tuple, size_t... I>
Tuple DecodeActivityArguments(const api::v1::Payloads& input, std::index_sequence<I...>) {
  return Tuple(DecodeActivityArgument<std::tuple_element_t<I, Tuple>>(input, I)...);
}

}  // namespace detail

class ActivityDefinition {
 public:
  // Runs the activity: returns its result payloads or throws.
  using Invoker = std::function<api::v1::Payloads(ActivityContext&, const api::v1::Payloads&)>;

  ActivityDefinition(std::string name, Invoker invoker)
      : name_(std::move(name)), invoker_(std::move(invoker)) {}

  template <typename Fn>
  static ActivityDefinition FromFunction(std::string name, Fn fn) {
    using Sig = detail::ActivitySignature<decltype(std::function{fn})>;
    using Tuple = typename Sig::ArgsTuple;
    using R = typename Sig::Result;
    Invoker invoker = [fn](ActivityContext& ctx, const api::v1::Payloads& input) {
      Tuple args = detail::DecodeActivityArguments<Tuple>(
          input, std::make_index_sequence<std::tuple_size_v<Tuple>>());
      auto call = [&]() -> decltype(auto) {
        if constexpr (Sig::kTakesContext) {
          return std::apply([&](auto&... a) -> R { return fn(ctx, a...); }, args);
        } else {
          return std::apply([&](auto&... a) -> R { return fn(a...); }, args);
        }
      };
      if constexpr (std::is_void_v<R>) {
        call();
        return api::v1::Payloads();
      } else {
        return ToPayloads(call());
      }
    };
    return ActivityDefinition(std::move(name), std::move(invoker));
  }

  const std::string& name() const { return name_; }
  api::v1::Payloads Invoke(ActivityContext& ctx, const api::v1::Payloads& input) const {
    return invoker_(ctx, input);
  }

 private:
  std::string name_;
  Invoker invoker_;
};

}  // namespace weft

#endif  // WEFT_ACTIVITY_H_
