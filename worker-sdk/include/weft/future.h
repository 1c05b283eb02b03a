// weft::Future<T>: a value that a workflow waits for with co_await (an activity result, a
// timer, a signal, a combination of those).
//
// A Future is a cheap, copyable handle to shared state that the workflow runtime resolves
// while it delivers history events. Resolving never resumes a coroutine directly: it queues
// the waiting coroutines on the workflow's scheduler, which runs them in order once all events
// of the workflow task are delivered. That keeps replay deterministic and free of reentrancy.
//
//   weft::Future<std::string> f = ctx.ExecuteActivity<std::string>("Compose", opts, name);
//   std::string s = co_await f;        // or rethrows the failure (weft::ActivityError, ...)
//   if (f.IsReady()) ...
//
// Thread safety: none. A future belongs to one workflow execution, whose code runs on one
// thread at a time.
#ifndef WEFT_FUTURE_H_
#define WEFT_FUTURE_H_

#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace weft {

namespace detail {

// Runs coroutines that became ready. Implemented by the workflow runtime.
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual void Schedule(std::coroutine_handle<> handle) = 0;
};

class FutureStateBase {
 public:
  explicit FutureStateBase(Scheduler* scheduler) : scheduler_(scheduler) {}
  FutureStateBase(const FutureStateBase&) = delete;
  FutureStateBase& operator=(const FutureStateBase&) = delete;

  bool ready() const { return ready_; }
  Scheduler* scheduler() const { return scheduler_; }

  // Runs `callback` once the state is ready (at once if it already is).
  void OnReady(std::function<void()> callback) {
    if (ready_) {
      callback();
    } else {
      callbacks_.push_back(std::move(callback));
    }
  }
  void AddWaiter(std::coroutine_handle<> handle) {
    OnReady([s = scheduler_, handle] { s->Schedule(handle); });
  }
  void SetError(std::exception_ptr error) {
    if (ready_) return;
    error_ = std::move(error);
    MarkReady();
  }
  void RethrowIfError() const {
    if (error_) std::rethrow_exception(error_);
  }
  bool has_error() const { return error_ != nullptr; }

 protected:
  void MarkReady() {
    ready_ = true;
    auto callbacks = std::move(callbacks_);
    callbacks_.clear();
    for (auto& callback : callbacks) callback();
  }

 private:
  Scheduler* scheduler_;
  bool ready_ = false;
  std::exception_ptr error_;
  std::vector<std::function<void()>> callbacks_;
};

template <typename T>
class FutureState : public FutureStateBase {
 public:
  using FutureStateBase::FutureStateBase;
  void SetValue(T value) {
    if (ready()) return;
    value_.emplace(std::move(value));
    MarkReady();
  }
  const T& value() const {
    RethrowIfError();
    return *value_;
  }

 private:
  std::optional<T> value_;
};

template <>
class FutureState<void> : public FutureStateBase {
 public:
  using FutureStateBase::FutureStateBase;
  void SetValue() {
    if (ready()) return;
    MarkReady();
  }
  void value() const { RethrowIfError(); }
};

}  // namespace detail

template <typename T>
class Future {
 public:
  using ValueType = T;

  explicit Future(std::shared_ptr<detail::FutureState<T>> state) : state_(std::move(state)) {}

  bool IsReady() const { return state_->ready(); }

  // The value of a ready future (rethrows its error). Calling it on a future that is not
  // ready is a programming error.
  T Get() const {
    if constexpr (std::is_void_v<T>) {
      state_->value();
    } else {
      return state_->value();
    }
  }

  bool await_ready() const noexcept { return state_->ready(); }
  void await_suspend(std::coroutine_handle<> handle) { state_->AddWaiter(handle); }
  T await_resume() const { return Get(); }

  const std::shared_ptr<detail::FutureState<T>>& state() const { return state_; }

 private:
  std::shared_ptr<detail::FutureState<T>> state_;
};

// A future that becomes ready when every one of `futures` is ready (failed ones included;
// co_await each of them afterwards to read values or errors).
template <typename... Ts>
Future<void> WhenAll(const Future<Ts>&... futures) {
  static_assert(sizeof...(Ts) > 0, "WhenAll needs at least one future");
  detail::Scheduler* scheduler = nullptr;
  ((scheduler = futures.state()->scheduler()), ...);
  auto all = std::make_shared<detail::FutureState<void>>(scheduler);
  auto remaining = std::make_shared<size_t>(sizeof...(Ts));
  (futures.state()->OnReady([all, remaining] {
    if (--*remaining == 0) all->SetValue();
  }),
   ...);
  return Future<void>(all);
}

template <typename T>
Future<void> WhenAll(const std::vector<Future<T>>& futures) {
  if (futures.empty()) {
    auto done = std::make_shared<detail::FutureState<void>>(nullptr);
    done->SetValue();
    return Future<void>(done);
  }
  auto all = std::make_shared<detail::FutureState<void>>(futures.front().state()->scheduler());
  auto remaining = std::make_shared<size_t>(futures.size());
  for (const auto& f : futures) {
    f.state()->OnReady([all, remaining] {
      if (--*remaining == 0) all->SetValue();
    });
  }
  return Future<void>(all);
}

// A future of the index (in argument order) of the first of `futures` to become ready. When
// several are ready already, the lowest index wins; otherwise history order decides.
template <typename... Ts>
Future<size_t> WhenAny(const Future<Ts>&... futures) {
  static_assert(sizeof...(Ts) > 0, "WhenAny needs at least one future");
  detail::Scheduler* scheduler = nullptr;
  ((scheduler = futures.state()->scheduler()), ...);
  auto any = std::make_shared<detail::FutureState<size_t>>(scheduler);
  size_t index = 0;
  (futures.state()->OnReady([any, i = index++] { any->SetValue(i); }), ...);
  return Future<size_t>(any);
}

template <typename T>
Future<size_t> WhenAny(const std::vector<Future<T>>& futures) {
  auto any = std::make_shared<detail::FutureState<size_t>>(
      futures.empty() ? nullptr : futures.front().state()->scheduler());
  for (size_t i = 0; i < futures.size(); ++i) {
    futures[i].state()->OnReady([any, i] { any->SetValue(i); });
  }
  return Future<size_t>(any);
}

namespace detail {
// A future of fn(value of `source`); an error of `source`, or one thrown by fn, becomes the
// error of the result.
template <typename R, typename S, typename F>
Future<R> Transform(const Future<S>& source, F fn) {
  auto out = std::make_shared<FutureState<R>>(source.state()->scheduler());
  // A raw pointer: the callback runs inside source's MarkReady, while source is alive, and a
  // shared_ptr here would be a cycle for a future that never resolves.
  FutureState<S>* src = source.state().get();
  src->OnReady([out, src, fn = std::move(fn)] {
    try {
      if constexpr (std::is_void_v<R>) {
        fn(src->value());
        out->SetValue();
      } else {
        out->SetValue(fn(src->value()));
      }
    } catch (...) {
      out->SetError(std::current_exception());
    }
  });
  return Future<R>(out);
}
}  // namespace detail

}  // namespace weft

#endif  // WEFT_FUTURE_H_
