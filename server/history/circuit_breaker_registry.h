// CircuitBreakerRegistry: the history service's server-side circuit breakers, one per
// (namespace, activity type), or per (namespace, activity type, task queue) when the
// namespace's config says per_task_queue (DESIGN.md section 6; the state machine is
// circuit_breaker.h).
//
// The engine asks Admit() before an activity attempt is dispatched and again when a worker is
// about to start it; a refused attempt is held by the engine (ActivityInfo.held_by_breaker and
// a timer at retry_at, so holding survives restarts) and is neither failed nor counted. The
// engine reports each attempt's outcome with Record(). When a breaker closes (or goes half-
// open by hand) the release handler is called for its held attempts so they need not wait
// for their timers.
//
// What is durable: operator overrides (meta CF, key "breaker/<namespace_id>/<activity type>/
// <task queue>", internal::CircuitBreakerOverrideRecord), reloaded by Load(). The rolling
// windows live in memory only: after a restart every breaker starts CLOSED unless an override
// says otherwise, and held attempts are asked again when their timers fire.
//
// Metrics (on the server's Prometheus registry): weft_circuit_breaker_state{namespace,
// activity_type,task_queue} (0 closed, 1 open, 2 half-open), weft_circuit_breaker_
// transitions_total{...,to}, weft_circuit_breaker_held_attempts{...} and
// weft_circuit_breaker_rejected_dispatches_total{...}.
//
// Thread safety: thread-safe (one mutex); the release handler is called without it held.
// Ownership: borrows Store, Clock and Metrics (may be null); the composition root owns it.
#ifndef WEFT_SERVER_HISTORY_CIRCUIT_BREAKER_REGISTRY_H_
#define WEFT_SERVER_HISTORY_CIRCUIT_BREAKER_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "server/common/clock.h"
#include "server/common/metrics.h"
#include "server/history/circuit_breaker.h"
#include "server/history/circuit_breaker_admin.h"
#include "storage/store.h"

namespace weft::history {

// One activity attempt, as the engine names it to the registry.
struct BreakerAttempt {
  std::string namespace_id;
  std::string workflow_id;
  std::string run_id;
  int64_t scheduled_event_id = 0;
  int32_t attempt = 0;
  // Set by the engine on a held attempt: names the hold's timer (TimerTask.timer_id).
  std::string hold_token;

  // Identifies the attempt (probe slots are per attempt).
  std::string Id() const;
  // Identifies the activity (an attempt keeps its number while held).
  std::string ActivityKey() const;
};

class CircuitBreakerRegistry : public CircuitBreakerAdmin {
 public:
  CircuitBreakerRegistry(storage::Store* store, const Clock* clock, Metrics* metrics);
  ~CircuitBreakerRegistry() override;

  // Loads the persisted overrides. Call before the history engine starts.
  absl::Status Load();

  // Called (without the registry's lock) for each held attempt a breaker lets go.
  using ReleaseHandler = std::function<void(const BreakerAttempt&)>;
  void SetReleaseHandler(ReleaseHandler handler);

  struct Decision {
    bool allowed = true;
    absl::Time retry_at;  // when !allowed
  };
  // Whether the attempt of an activity of `activity_type` on `task_queue` may go now. A
  // refused attempt is counted as held (and as a rejected dispatch) until it is admitted or
  // its hold timer fires stale (ForgetHeld).
  Decision Admit(const std::string& activity_type, const std::string& task_queue,
                 const BreakerAttempt& attempt);
  // The outcome of an attempt that ran (see AttemptOutcome for what counts).
  void Record(const std::string& activity_type, const std::string& task_queue,
              const BreakerAttempt& attempt, AttemptOutcome outcome);
  // A held attempt will not be asked again (its activity finished or its run closed).
  void ForgetHeld(const BreakerAttempt& attempt);

  // CircuitBreakerAdmin
  void ConfigureNamespace(const std::string& namespace_id, const std::string& namespace_name,
                          const api::v1::CircuitBreakerConfig& config) override;
  absl::StatusOr<api::v1::ListCircuitBreakersResponse> ListCircuitBreakers(
      const api::v1::ListCircuitBreakersRequest& request) override;
  absl::StatusOr<api::v1::DescribeCircuitBreakerResponse> DescribeCircuitBreaker(
      const api::v1::DescribeCircuitBreakerRequest& request) override;
  absl::StatusOr<api::v1::SetCircuitBreakerOverrideResponse> SetCircuitBreakerOverride(
      const api::v1::SetCircuitBreakerOverrideRequest& request, const std::string& set_by) override;

 private:
  // (namespace id, activity type, task queue or "" when not per task queue)
  using Key = std::tuple<std::string, std::string, std::string>;
  struct Entry {
    explicit Entry(const CircuitBreakerOptions& o) : breaker(o) {}
    CircuitBreaker breaker;
    std::string override_reason;
    std::map<std::string, BreakerAttempt> held;  // by ActivityKey()
  };
  struct Namespace {
    std::string name;
    CircuitBreakerOptions options;
  };
  class BreakerMetrics;

  CircuitBreakerOptions OptionsLocked(const std::string& ns_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Key KeyLocked(const std::string& ns_id, const std::string& type, const std::string& queue) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Entry& EntryLocked(const Key& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether attempts under `key` are judged at all (enabled, or an override is set).
  bool ActiveLocked(const Key& key) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UnholdLocked(const std::string& activity_key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Updates gauges and transition counters; collects attempts to wake into `wake`.
  void PublishLocked(const Key& key, Entry& e, std::vector<BreakerAttempt>* wake,
                     bool wake_on_half_open = false) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FillLocked(const Key& key, Entry& e, api::v1::CircuitBreakerInfo* info)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Resolves request names: the namespace id and the breaker key, validated.
  absl::StatusOr<Key> ResolveLocked(const std::string& ns_name, const std::string& type,
                                    const std::string& queue) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NameLocked(const std::string& ns_id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Wake(const std::vector<BreakerAttempt>& attempts);

  storage::Store* const store_;
  const Clock* const clock_;
  std::unique_ptr<BreakerMetrics> metrics_;
  mutable std::mutex mu_;
  ReleaseHandler release_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Namespace> namespaces_ ABSL_GUARDED_BY(mu_);     // by id
  std::map<std::string, std::string> ids_by_name_ ABSL_GUARDED_BY(mu_);  // name -> id
  std::map<Key, Entry> breakers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Key> held_index_ ABSL_GUARDED_BY(mu_);  // ActivityKey() -> breaker
};

}  // namespace weft::history

#endif  // WEFT_SERVER_HISTORY_CIRCUIT_BREAKER_REGISTRY_H_
