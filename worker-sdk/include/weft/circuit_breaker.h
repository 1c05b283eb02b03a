// weft::CircuitBreaker: protects a downstream that an activity calls (an HTTP API, a model
// endpoint) from being hammered while it fails, and weft::CircuitBreakerRegistry, the
// breakers of one worker by key, shared by all its activities.
//
//   std::string Charge(weft::ActivityContext& ctx, Order order) {
//     return ctx.Breaker("payments-api").Call([&] { return payments.Charge(order); });
//   }
//
// A breaker counts the outcomes of the last `window_size` calls. Once at least
// `minimum_calls` are counted and the share of failures reaches `failure_rate_threshold`, it
// opens: calls fail fast for `open_duration` without reaching the downstream. Then it lets
// `half_open_probes` calls through; if they all succeed it closes, if one fails it opens
// again. Call() turns a refused call into a retryable weft::ApplicationError of type
// "CircuitBreakerOpen", so the server retries the activity under its retry policy, later.
//
// Thread safety: all methods are thread-safe. The registry owns its breakers; references to
// them stay valid for the registry's lifetime.
#ifndef WEFT_CIRCUIT_BREAKER_H_
#define WEFT_CIRCUIT_BREAKER_H_

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "weft/errors.h"

namespace weft {

struct CircuitBreakerOptions {
  int window_size = 20;
  int minimum_calls = 10;
  double failure_rate_threshold = 0.5;
  std::chrono::milliseconds open_duration{30000};
  int half_open_probes = 3;
};

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };
  // The steady clock, injectable for tests.
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // Watches breakers (the worker's metrics do): a breaker created by a registry (closed), each
  // state change, each call refused. Called with a lock held (the breaker's or the
  // registry's), so it must be quick and must not call the breaker or the registry.
  struct Observer {
    std::function<void(const std::string& name)> on_created;
    std::function<void(const std::string& name, State to)> on_transition;
    std::function<void(const std::string& name)> on_rejected;
  };

  CircuitBreaker(std::string name, CircuitBreakerOptions options, Clock clock = nullptr);
  // Replaces the observer (nullptr: none).
  void set_observer(std::shared_ptr<const Observer> observer);
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // OK when a call may go ahead now (then report its outcome with RecordSuccess or
  // RecordFailure); UNAVAILABLE naming the breaker and the wait while it is open or all probe
  // slots are taken.
  absl::Status Allow();
  void RecordSuccess();
  void RecordFailure();

  // Runs fn if allowed and records its outcome (a throw is a failure, and is rethrown).
  // Refused: throws ApplicationError(type "CircuitBreakerOpen", retryable).
  template <typename F>
  auto Call(F&& fn) -> decltype(fn()) {
    if (absl::Status s = Allow(); !s.ok()) {
      throw ApplicationError(std::string(s.message()), "CircuitBreakerOpen", false);
    }
    try {
      if constexpr (std::is_void_v<decltype(fn())>) {
        fn();
        RecordSuccess();
      } else {
        auto result = fn();
        RecordSuccess();
        return result;
      }
    } catch (...) {
      RecordFailure();
      throw;
    }
  }

  State state() const;
  const std::string& name() const { return name_; }

 private:
  std::chrono::steady_clock::time_point Now() const;
  void Open() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Close() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Transition(State to) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Rejected() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string name_;
  const CircuitBreakerOptions options_;
  const Clock clock_;

  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kClosed;
  std::deque<bool> window_ ABSL_GUARDED_BY(mu_);  // true: a failure
  int failures_in_window_ ABSL_GUARDED_BY(mu_) = 0;
  std::chrono::steady_clock::time_point open_until_ ABSL_GUARDED_BY(mu_);
  int probes_started_ ABSL_GUARDED_BY(mu_) = 0;
  int probes_succeeded_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<const Observer> observer_ ABSL_GUARDED_BY(mu_);
};

class CircuitBreakerRegistry {
 public:
  explicit CircuitBreakerRegistry(CircuitBreakerOptions defaults = {},
                                  CircuitBreaker::Clock clock = nullptr)
      : defaults_(defaults), clock_(std::move(clock)) {}

  // The breaker for `key`, created with the registry's defaults on first use.
  CircuitBreaker& Get(std::string_view key);
  // Observes every breaker, the existing and the future ones (on_created is called for
  // those created from now on). nullptr: none.
  void SetObserver(std::shared_ptr<const CircuitBreaker::Observer> observer);

 private:
  const CircuitBreakerOptions defaults_;
  const CircuitBreaker::Clock clock_;
  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<CircuitBreaker>, std::less<>> breakers_
      ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const CircuitBreaker::Observer> observer_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft

#endif  // WEFT_CIRCUIT_BREAKER_H_
