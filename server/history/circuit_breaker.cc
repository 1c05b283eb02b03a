#include "server/history/circuit_breaker.h"

#include <algorithm>

#include "server/common/proto_time.h"

namespace weft::history {
namespace {

// The rolling window is kept in this many buckets: memory stays bounded at any attempt rate,
// and the window's edge is accurate to 1/kBuckets of its length.
constexpr int kBuckets = 20;

}  // namespace

CircuitBreakerOptions CircuitBreakerOptions::FromConfig(const api::v1::CircuitBreakerConfig& c) {
  CircuitBreakerOptions o;
  o.enabled = c.enabled();
  if (c.failure_rate_threshold() > 0) o.failure_rate_threshold = c.failure_rate_threshold();
  if (c.minimum_attempts() > 0) o.minimum_attempts = c.minimum_attempts();
  if (c.has_window() && FromProto(c.window()) > absl::ZeroDuration()) {
    o.window = FromProto(c.window());
  }
  if (c.has_open_duration() && FromProto(c.open_duration()) > absl::ZeroDuration()) {
    o.open_duration = FromProto(c.open_duration());
  }
  if (c.half_open_probes() > 0) o.half_open_probes = c.half_open_probes();
  o.per_task_queue = c.per_task_queue();
  return o;
}

api::v1::CircuitBreakerConfig CircuitBreakerOptions::ToConfig() const {
  api::v1::CircuitBreakerConfig c;
  c.set_enabled(enabled);
  c.set_failure_rate_threshold(failure_rate_threshold);
  c.set_minimum_attempts(minimum_attempts);
  *c.mutable_window() = ToProto(window);
  *c.mutable_open_duration() = ToProto(open_duration);
  c.set_half_open_probes(half_open_probes);
  c.set_per_task_queue(per_task_queue);
  return c;
}

api::v1::CircuitBreakerState CircuitBreaker::Effective() const {
  switch (override_) {
    case api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN:
      return api::v1::CIRCUIT_BREAKER_STATE_OPEN;
    case api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_CLOSED:
      return api::v1::CIRCUIT_BREAKER_STATE_CLOSED;
    default:
      return state_;
  }
}

void CircuitBreaker::NoteTransition() {
  api::v1::CircuitBreakerState now = Effective();
  if (now != last_seen_) {
    transitions_.push_back(now);
    last_seen_ = now;
  }
}

std::vector<api::v1::CircuitBreakerState> CircuitBreaker::TakeTransitions() {
  std::vector<api::v1::CircuitBreakerState> out;
  out.swap(transitions_);
  return out;
}

void CircuitBreaker::Advance(absl::Time now) {
  if (state_ == api::v1::CIRCUIT_BREAKER_STATE_OPEN && now >= next_probe_time_) {
    state_ = api::v1::CIRCUIT_BREAKER_STATE_HALF_OPEN;
    probes_.clear();
    probe_successes_ = 0;
  }
  if (state_ == api::v1::CIRCUIT_BREAKER_STATE_HALF_OPEN) {
    for (auto it = probes_.begin(); it != probes_.end();) {
      it = it->second <= now ? probes_.erase(it) : std::next(it);
    }
  }
  NoteTransition();
}

void CircuitBreaker::Open(absl::Time now) {
  state_ = api::v1::CIRCUIT_BREAKER_STATE_OPEN;
  opened_time_ = now;
  next_probe_time_ = now + options_.open_duration;
  probes_.clear();
  probe_successes_ = 0;
  ++times_opened_;
}

void CircuitBreaker::Close() {
  state_ = api::v1::CIRCUIT_BREAKER_STATE_CLOSED;
  opened_time_ = absl::InfinitePast();
  next_probe_time_ = absl::InfinitePast();
  probes_.clear();
  probe_successes_ = 0;
  ClearWindow();
}

void CircuitBreaker::TrimWindow(absl::Time now) {
  absl::Duration width = options_.window / kBuckets;
  while (!window_.empty() && window_.front().start + width <= now - options_.window) {
    window_.pop_front();
  }
}

void CircuitBreaker::AddOutcome(absl::Time now, bool success) {
  TrimWindow(now);
  absl::Duration width = options_.window / kBuckets;
  if (window_.empty() || now >= window_.back().start + width) {
    window_.push_back(Bucket{now});
  }
  Bucket& b = window_.back();
  (success ? b.successes : b.failures) += 1;
}

int64_t CircuitBreaker::WindowCount(bool successes) const {
  int64_t n = 0;
  for (const Bucket& b : window_) n += successes ? b.successes : b.failures;
  return n;
}

CircuitBreaker::Admission CircuitBreaker::Admit(absl::Time now, const std::string& attempt_id) {
  Advance(now);
  Admission a;
  if (override_ == api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_CLOSED) return a;
  if (override_ == api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN) {
    // No probe time while forced: look again after a cool-down.
    a.allowed = false;
    a.retry_at = now + options_.open_duration;
    return a;
  }
  switch (state_) {
    case api::v1::CIRCUIT_BREAKER_STATE_OPEN:
      a.allowed = false;
      a.retry_at = next_probe_time_;
      return a;
    case api::v1::CIRCUIT_BREAKER_STATE_HALF_OPEN: {
      if (probes_.contains(attempt_id)) {
        a.probe = true;
        return a;
      }
      if (static_cast<int>(probes_.size()) < options_.half_open_probes) {
        probes_[attempt_id] = now + options_.open_duration;
        a.probe = true;
        return a;
      }
      absl::Time earliest = absl::InfiniteFuture();
      for (const auto& [id, lease] : probes_) earliest = std::min(earliest, lease);
      a.allowed = false;
      a.retry_at = earliest;
      return a;
    }
    default:
      return a;
  }
}

void CircuitBreaker::Record(absl::Time now, const std::string& attempt_id, AttemptOutcome outcome) {
  Advance(now);
  bool was_probe = probes_.erase(attempt_id) > 0;
  if (override_ == api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN) return;
  if (override_ == api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_CLOSED) {
    // Still visible in describe, but nothing opens a forced-closed breaker.
    if (outcome != AttemptOutcome::kNeutral) AddOutcome(now, outcome == AttemptOutcome::kSuccess);
    return;
  }
  switch (state_) {
    case api::v1::CIRCUIT_BREAKER_STATE_CLOSED: {
      if (outcome == AttemptOutcome::kNeutral) return;
      AddOutcome(now, outcome == AttemptOutcome::kSuccess);
      if (outcome != AttemptOutcome::kFailure) return;
      int64_t failures = WindowCount(false);
      int64_t total = failures + WindowCount(true);
      if (total >= options_.minimum_attempts &&
          static_cast<double>(failures) >=
              options_.failure_rate_threshold * static_cast<double>(total)) {
        Open(now);
      }
      break;
    }
    case api::v1::CIRCUIT_BREAKER_STATE_HALF_OPEN:
      if (!was_probe) return;
      if (outcome == AttemptOutcome::kFailure) {
        Open(now);
      } else if (outcome == AttemptOutcome::kSuccess &&
                 ++probe_successes_ >= options_.half_open_probes) {
        Close();
      }
      break;
    default:
      break;  // OPEN: a straggler dispatched before it opened decides nothing
  }
  NoteTransition();
}

void CircuitBreaker::SetOverride(absl::Time now, api::v1::CircuitBreakerOverride value) {
  if (value == api::v1::CIRCUIT_BREAKER_OVERRIDE_UNSPECIFIED) {
    value = api::v1::CIRCUIT_BREAKER_OVERRIDE_AUTO;
  }
  Advance(now);
  if (value == override_) return;
  api::v1::CircuitBreakerOverride old = override_;
  override_ = value;
  if (value == api::v1::CIRCUIT_BREAKER_OVERRIDE_AUTO) {
    if (old == api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN) {
      // Lifted by hand: let probes decide rather than let everything through at once.
      state_ = api::v1::CIRCUIT_BREAKER_STATE_HALF_OPEN;
      if (opened_time_ == absl::InfinitePast()) opened_time_ = now;
      next_probe_time_ = now;
      probes_.clear();
      probe_successes_ = 0;
    } else {
      Close();
    }
  } else if (value == api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN) {
    probes_.clear();
    if (state_ == api::v1::CIRCUIT_BREAKER_STATE_CLOSED) {
      opened_time_ = now;
      ++times_opened_;
    }
  }
  NoteTransition();
}

api::v1::CircuitBreakerState CircuitBreaker::State(absl::Time now) {
  Advance(now);
  return Effective();
}

void CircuitBreaker::Describe(absl::Time now, api::v1::CircuitBreakerInfo* info) {
  Advance(now);
  TrimWindow(now);
  api::v1::CircuitBreakerState st = Effective();
  info->set_state(st);
  info->set_override(override_);
  int64_t s = WindowCount(true), f = WindowCount(false);
  info->set_window_successes(s);
  info->set_window_failures(f);
  info->set_failure_rate(s + f == 0 ? 0.0 : static_cast<double>(f) / static_cast<double>(s + f));
  if (st != api::v1::CIRCUIT_BREAKER_STATE_CLOSED && opened_time_ != absl::InfinitePast()) {
    *info->mutable_opened_time() = ToProto(opened_time_);
  }
  if (st == api::v1::CIRCUIT_BREAKER_STATE_OPEN &&
      override_ != api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN) {
    *info->mutable_next_probe_time() = ToProto(next_probe_time_);
  }
  info->set_probes_in_flight(static_cast<int32_t>(probes_.size()));
  info->set_times_opened(times_opened_);
}

}  // namespace weft::history
