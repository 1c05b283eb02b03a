// Server-side circuit breakers in the activity life cycle: holding an attempt whose breaker
// refuses it, reporting outcomes, and waking held attempts when a breaker lets them go. Part
// of HistoryEngine; see history_engine.h and circuit_breaker_registry.h.
//
// A held attempt is durable: ActivityInfo.held_by_breaker and in_backoff are set and an
// ACTIVITY_RETRY timer is written for the breaker's next probe time, in the same transition.
// The timer carries a hold token (timer_id, derived from the hold's scheduled_time) so that
// only the latest hold's timer acts; when it fires the attempt is dispatched again, which
// asks the breaker again. Holding changes neither the attempt number nor the retry policy's
// count, and the schedule-to-start timeout does not run while held (in_backoff); the
// schedule-to-close timeout still bounds the whole activity.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/common/proto_time.h"
#include "server/history/history_engine.h"

namespace weft::history {
namespace {

// Holds are never closer together than this, so a breaker that answers "now" cannot make
// a hold loop spin.
constexpr absl::Duration kMinHold = absl::Milliseconds(100);

std::string HoldToken(const google::protobuf::Timestamp& scheduled_time) {
  return absl::StrCat("breaker-hold-", absl::ToUnixNanos(FromProto(scheduled_time)));
}

BreakerAttempt AttemptOf(const internal::MutableState& ms, const internal::ActivityInfo& ai) {
  BreakerAttempt a;
  a.namespace_id = ms.namespace_id();
  a.workflow_id = ms.workflow_id();
  a.run_id = ms.run_id();
  a.scheduled_event_id = ai.scheduled_event_id();
  a.attempt = ai.attempt();
  return a;
}

}  // namespace

bool HistoryEngine::ActivityRetryTimerIsCurrent(const internal::ActivityInfo& ai,
                                                const internal::TimerTask& t) {
  if (ai.attempt() != t.attempt() || !ai.in_backoff()) return false;
  if (t.timer_id().empty()) return !ai.held_by_breaker();
  return ai.held_by_breaker() && t.timer_id() == HoldToken(ai.scheduled_time());
}

bool HistoryEngine::HoldIfBreakerRefuses(Transition& tr, internal::ActivityInfo& ai) {
  CircuitBreakerRegistry* breakers = options_.circuit_breakers;
  if (breakers == nullptr) {
    ai.set_held_by_breaker(false);
    return false;
  }
  BreakerAttempt a = AttemptOf(tr.ms(), ai);
  a.hold_token = HoldToken(ToProto(tr.now()));  // names the hold, should there be one
  auto d = breakers->Admit(ai.activity_type().name(), ai.task_queue(), a);
  if (d.allowed) {
    ai.set_held_by_breaker(false);
    return false;
  }
  *ai.mutable_scheduled_time() = ToProto(tr.now());  // HoldToken(scheduled_time) == timer_id
  ai.set_held_by_breaker(true);
  ai.set_in_backoff(true);
  internal::TimerTask t;
  t.set_type(internal::TIMER_TASK_TYPE_ACTIVITY_RETRY);
  absl::Time fire = std::max(d.retry_at, tr.now() + kMinHold);
  if (fire == absl::InfiniteFuture()) fire = tr.now() + absl::Seconds(30);
  *t.mutable_fire_time() = ToProto(fire);
  t.set_event_id(ai.scheduled_event_id());
  t.set_attempt(ai.attempt());
  t.set_timer_id(a.hold_token);
  tr.AddTimerTask(std::move(t));
  return true;
}

void HistoryEngine::ReportToBreaker(Transition& tr, const internal::ActivityInfo& ai,
                                    AttemptOutcome outcome) {
  CircuitBreakerRegistry* breakers = options_.circuit_breakers;
  if (breakers == nullptr) return;
  tr.OnCommitted([breakers, type = ai.activity_type().name(), queue = ai.task_queue(),
                  a = AttemptOf(tr.ms(), ai),
                  outcome] { breakers->Record(type, queue, a, outcome); });
}

void HistoryEngine::ReleaseHeldAttempt(const BreakerAttempt& a) {
  if (stopping_) return;
  // An in-memory copy of the hold's timer, due now; the stored one turns stale once this one
  // dispatched the attempt (or is superseded by a new hold).
  Shard& shard = ShardOf(a.namespace_id, a.workflow_id);
  internal::TimerTask t;
  t.set_type(internal::TIMER_TASK_TYPE_ACTIVITY_RETRY);
  t.set_task_id(shard.NextTaskId());
  *t.mutable_fire_time() = ToProto(clock_->Now());
  t.set_namespace_id(a.namespace_id);
  t.set_workflow_id(a.workflow_id);
  t.set_run_id(a.run_id);
  t.set_event_id(a.scheduled_event_id);
  t.set_attempt(a.attempt);
  t.set_timer_id(a.hold_token);
  shard.timer_queue().Add(t);
}

void HistoryEngine::ForgetBreakerHold(const internal::TimerTask& t) {
  CircuitBreakerRegistry* breakers = options_.circuit_breakers;
  if (breakers == nullptr || t.type() != internal::TIMER_TASK_TYPE_ACTIVITY_RETRY ||
      t.timer_id().empty()) {
    return;
  }
  BreakerAttempt a;
  a.namespace_id = t.namespace_id();
  a.workflow_id = t.workflow_id();
  a.run_id = t.run_id();
  a.scheduled_event_id = t.event_id();
  a.attempt = t.attempt();
  a.hold_token = t.timer_id();
  breakers->ForgetHeld(a);
}

}  // namespace weft::history
