#include "weft/circuit_breaker.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace weft {

CircuitBreaker::CircuitBreaker(std::string name, CircuitBreakerOptions options, Clock clock)
    : name_(std::move(name)), options_(options), clock_(std::move(clock)) {}

void CircuitBreaker::set_observer(std::shared_ptr<const Observer> observer) {
  absl::MutexLock lock(&mu_);
  observer_ = std::move(observer);
}

void CircuitBreaker::Transition(State to) {
  state_ = to;
  if (observer_ && observer_->on_transition) observer_->on_transition(name_, to);
}

void CircuitBreaker::Rejected() {
  if (observer_ && observer_->on_rejected) observer_->on_rejected(name_);
}

std::chrono::steady_clock::time_point CircuitBreaker::Now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

absl::Status CircuitBreaker::Allow() {
  const auto now = Now();
  absl::MutexLock lock(&mu_);
  if (state_ == State::kOpen) {
    if (now < open_until_) {
      Rejected();
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(open_until_ - now);
      return absl::UnavailableError(absl::StrCat(
          "circuit breaker \"", name_, "\" is open; next probe in ", wait.count(), " ms"));
    }
    Transition(State::kHalfOpen);
    probes_started_ = 0;
    probes_succeeded_ = 0;
  }
  if (state_ == State::kHalfOpen) {
    if (probes_started_ >= options_.half_open_probes) {
      Rejected();
      return absl::UnavailableError(
          absl::StrCat("circuit breaker \"", name_, "\" is half-open and its ",
                       options_.half_open_probes, " probe calls are in flight"));
    }
    ++probes_started_;
  }
  return absl::OkStatus();
}

void CircuitBreaker::RecordSuccess() {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kHalfOpen) {
    if (++probes_succeeded_ >= options_.half_open_probes) Close();
    return;
  }
  if (state_ != State::kClosed) return;  // a call allowed before the breaker opened
  window_.push_back(false);
  if (static_cast<int>(window_.size()) > options_.window_size) {
    failures_in_window_ -= window_.front() ? 1 : 0;
    window_.pop_front();
  }
}

void CircuitBreaker::RecordFailure() {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kHalfOpen) {
    Open();
    return;
  }
  if (state_ != State::kClosed) return;
  window_.push_back(true);
  ++failures_in_window_;
  if (static_cast<int>(window_.size()) > options_.window_size) {
    failures_in_window_ -= window_.front() ? 1 : 0;
    window_.pop_front();
  }
  const int calls = static_cast<int>(window_.size());
  if (calls >= options_.minimum_calls &&
      failures_in_window_ >= options_.failure_rate_threshold * calls) {
    Open();
  }
}

void CircuitBreaker::Open() {
  Transition(State::kOpen);
  open_until_ = Now() + options_.open_duration;
  window_.clear();
  failures_in_window_ = 0;
}

void CircuitBreaker::Close() {
  Transition(State::kClosed);
  window_.clear();
  failures_in_window_ = 0;
}

CircuitBreaker::State CircuitBreaker::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

CircuitBreaker& CircuitBreakerRegistry::Get(std::string_view key) {
  absl::MutexLock lock(&mu_);
  auto it = breakers_.find(key);
  if (it == breakers_.end()) {
    it = breakers_
             .emplace(std::string(key),
                      std::make_unique<CircuitBreaker>(std::string(key), defaults_, clock_))
             .first;
    if (observer_) {
      it->second->set_observer(observer_);
      if (observer_->on_created) observer_->on_created(it->first);
    }
  }
  return *it->second;
}

void CircuitBreakerRegistry::SetObserver(std::shared_ptr<const CircuitBreaker::Observer> observer) {
  absl::MutexLock lock(&mu_);
  observer_ = observer;
  for (auto& [unused, breaker] : breakers_) breaker->set_observer(observer);
}

}  // namespace weft
