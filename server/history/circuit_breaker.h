// CircuitBreaker: the state machine of one server-side circuit breaker (DESIGN.md section 6),
// i.e. of one (namespace, activity type[, task queue]). It decides whether an activity
// attempt may be dispatched now and learns from the outcomes of the attempts it let through.
//
//   CLOSED     every attempt passes; outcomes go into a rolling window (options.window). When
//              the window holds at least minimum_attempts outcomes and the failure rate is at
//              or above failure_rate_threshold, the breaker OPENS.
//   OPEN       nothing passes until open_duration has passed since it opened; then HALF_OPEN.
//   HALF_OPEN  up to half_open_probes attempts pass (probes). When that many probes
//              succeeded the breaker CLOSES with an empty window; one failed probe re-OPENS it.
//              A probe that reports nothing within open_duration frees its slot, so at most
//              half_open_probes attempts pass per open_duration while the downstream is bad.
//
// Outcomes: kSuccess, kFailure (a failed attempt, a start-to-close / heartbeat / schedule-to-
// close timeout of a started attempt) and kNeutral (cancellation, a non-retryable application
// error: those say something about the request, not about the downstream's health; a neutral
// probe frees its slot without deciding). Only probes decide in HALF_OPEN; outcomes of
// attempts dispatched before the breaker opened are ignored while it is not CLOSED.
//
// An operator override (FORCE_OPEN: nothing passes; FORCE_CLOSED: everything passes and
// nothing opens it) hides the automatic state. Returning to AUTO from FORCE_OPEN goes to
// HALF_OPEN (probe before flooding the downstream again), from FORCE_CLOSED to CLOSED with an
// empty window.
//
//   CircuitBreaker b(CircuitBreakerOptions::FromConfig(config));
//   if (auto a = b.Admit(now, attempt_id); !a.allowed) hold the attempt until a.retry_at;
//   ... later: b.Record(now, attempt_id, AttemptOutcome::kFailure);
//
// Time is passed in by the caller (no clock inside), so tests drive it directly.
// Thread safety: not thread-safe; CircuitBreakerRegistry guards each breaker with its mutex.
#ifndef WEFT_SERVER_HISTORY_CIRCUIT_BREAKER_H_
#define WEFT_SERVER_HISTORY_CIRCUIT_BREAKER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "weft/api/v1/admin_service.pb.h"
#include "weft/api/v1/workflow_service.pb.h"

namespace weft::history {

// A namespace's CircuitBreakerConfig with the defaults filled in.
struct CircuitBreakerOptions {
  bool enabled = false;
  double failure_rate_threshold = 0.5;
  int minimum_attempts = 20;
  absl::Duration window = absl::Seconds(60);
  absl::Duration open_duration = absl::Seconds(30);
  int half_open_probes = 1;
  bool per_task_queue = false;

  static CircuitBreakerOptions FromConfig(const api::v1::CircuitBreakerConfig& config);
  // The config as the API shows it, every default spelled out.
  api::v1::CircuitBreakerConfig ToConfig() const;
};

enum class AttemptOutcome { kSuccess, kFailure, kNeutral };

class CircuitBreaker {
 public:
  explicit CircuitBreaker(CircuitBreakerOptions options) : options_(options) {}

  struct Admission {
    bool allowed = true;
    bool probe = false;   // allowed as a HALF_OPEN probe
    absl::Time retry_at;  // when !allowed: when asking again may succeed
  };
  // Whether the attempt `attempt_id` may be dispatched now. Asking again for an attempt that
  // already holds a probe slot is allowed without taking another one.
  Admission Admit(absl::Time now, const std::string& attempt_id);
  // The outcome of an attempt this breaker let through (or of any attempt, while CLOSED).
  void Record(absl::Time now, const std::string& attempt_id, AttemptOutcome outcome);

  void SetOverride(absl::Time now, api::v1::CircuitBreakerOverride override_value);
  void SetOptions(const CircuitBreakerOptions& options) { options_ = options; }

  // The state callers see (overrides applied), after time-based changes up to `now`.
  api::v1::CircuitBreakerState State(absl::Time now);
  api::v1::CircuitBreakerOverride override_value() const { return override_; }
  // Fills state, override, window counts, times, probes and times_opened (not the names and
  // not held_attempts: the registry knows those).
  void Describe(absl::Time now, api::v1::CircuitBreakerInfo* info);
  // The states entered since the last call, oldest first (for metrics and wake-ups).
  std::vector<api::v1::CircuitBreakerState> TakeTransitions();

 private:
  struct Bucket {
    absl::Time start;
    int64_t successes = 0;
    int64_t failures = 0;
  };
  void Advance(absl::Time now);  // OPEN -> HALF_OPEN when due; expires probe leases
  void Open(absl::Time now);
  void Close();
  void AddOutcome(absl::Time now, bool success);
  void TrimWindow(absl::Time now);
  void ClearWindow() { window_.clear(); }
  int64_t WindowCount(bool successes) const;
  api::v1::CircuitBreakerState Effective() const;
  void NoteTransition();  // compares Effective() with the last state seen

  CircuitBreakerOptions options_;
  api::v1::CircuitBreakerState state_ = api::v1::CIRCUIT_BREAKER_STATE_CLOSED;
  api::v1::CircuitBreakerOverride override_ = api::v1::CIRCUIT_BREAKER_OVERRIDE_AUTO;
  api::v1::CircuitBreakerState last_seen_ = api::v1::CIRCUIT_BREAKER_STATE_CLOSED;
  std::deque<Bucket> window_;
  absl::Time opened_time_ = absl::InfinitePast();
  absl::Time next_probe_time_ = absl::InfinitePast();
  std::map<std::string, absl::Time> probes_;  // attempt id -> lease end
  int probe_successes_ = 0;
  int64_t times_opened_ = 0;
  std::vector<api::v1::CircuitBreakerState> transitions_;
};

}  // namespace weft::history

#endif  // WEFT_SERVER_HISTORY_CIRCUIT_BREAKER_H_
