#include "server/history/circuit_breaker_registry.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/common/proto_time.h"
#include "weft/internal/persistence.pb.h"

namespace weft::history {
namespace {

constexpr char kPrefix[] = "breaker/";

// Activity types and task queues may hold '/', so key parts are escaped.
std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '%') {
      out += "%25";
    } else if (c == '/') {
      out += "%2F";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    std::string_view rest = s.substr(i);
    if (rest.starts_with("%25") || rest.starts_with("%2F")) {
      out += rest[2] == '5' ? '%' : '/';
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string StoreKey(const std::string& ns_id, const std::string& type, const std::string& queue) {
  return absl::StrCat(kPrefix, ns_id, "/", Escape(type), "/", Escape(queue));
}

double StateValue(api::v1::CircuitBreakerState s) {
  switch (s) {
    case api::v1::CIRCUIT_BREAKER_STATE_OPEN:
      return 1;
    case api::v1::CIRCUIT_BREAKER_STATE_HALF_OPEN:
      return 2;
    default:
      return 0;
  }
}

std::string StateLabel(api::v1::CircuitBreakerState s) {
  switch (s) {
    case api::v1::CIRCUIT_BREAKER_STATE_OPEN:
      return "open";
    case api::v1::CIRCUIT_BREAKER_STATE_HALF_OPEN:
      return "half_open";
    default:
      return "closed";
  }
}

}  // namespace

std::string BreakerAttempt::Id() const { return absl::StrCat(ActivityKey(), "/", attempt); }

std::string BreakerAttempt::ActivityKey() const {
  return absl::StrCat(namespace_id, "/", Escape(workflow_id), "/", run_id, "/", scheduled_event_id);
}

// The breaker metric families, registered on the server's Prometheus registry.
class CircuitBreakerRegistry::BreakerMetrics {
 public:
  explicit BreakerMetrics(prometheus::Registry& r)
      : state_(prometheus::BuildGauge()
                   .Name("weft_circuit_breaker_state")
                   .Help("Server-side circuit breaker state: 0 closed, 1 open, 2 half-open")
                   .Register(r)),
        transitions_(prometheus::BuildCounter()
                         .Name("weft_circuit_breaker_transitions_total")
                         .Help("Circuit breaker state changes, by the state entered")
                         .Register(r)),
        held_(prometheus::BuildGauge()
                  .Name("weft_circuit_breaker_held_attempts")
                  .Help("Activity attempts held back by an open circuit breaker")
                  .Register(r)),
        rejected_(prometheus::BuildCounter()
                      .Name("weft_circuit_breaker_rejected_dispatches_total")
                      .Help("Activity dispatches a circuit breaker refused (the attempt was held)")
                      .Register(r)) {}

  using Labels = std::map<std::string, std::string>;
  prometheus::Family<prometheus::Gauge>& state_;
  prometheus::Family<prometheus::Counter>& transitions_;
  prometheus::Family<prometheus::Gauge>& held_;
  prometheus::Family<prometheus::Counter>& rejected_;
};

CircuitBreakerRegistry::CircuitBreakerRegistry(storage::Store* store, const Clock* clock,
                                               Metrics* metrics)
    : store_(store), clock_(clock) {
  if (metrics) {
    metrics_ = std::make_unique<BreakerMetrics>(*metrics->registry());
    // A family without series is left out of the scrape: one unlabeled series at 0 keeps
    // every breaker metric visible before the first breaker exists (dashboards select
    // activity_type!="" to skip it).
    metrics_->state_.Add({});
    metrics_->held_.Add({});
    metrics_->transitions_.Add({});
    metrics_->rejected_.Add({});
  }
}

CircuitBreakerRegistry::~CircuitBreakerRegistry() = default;

absl::Status CircuitBreakerRegistry::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status parse;
  absl::Status s = store_->ScanPrefix(
      storage::Cf::kMeta, kPrefix, [&](std::string_view key, std::string_view value) {
        internal::CircuitBreakerOverrideRecord r;
        std::string k(key);
        std::vector<std::string> parts = absl::StrSplit(k.substr(sizeof(kPrefix) - 1), '/');
        if (parts.size() != 3 || !r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse = absl::DataLossError(absl::StrCat("corrupt circuit breaker override ", k));
          return false;
        }
        Key bk{parts[0], Unescape(parts[1]), Unescape(parts[2])};
        Entry& e = EntryLocked(bk);
        e.breaker.SetOverride(clock_->Now(), r.override());
        e.override_reason = r.reason();
        e.breaker.TakeTransitions();
        return true;
      });
  return s.ok() ? parse : s;
}

void CircuitBreakerRegistry::SetReleaseHandler(ReleaseHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  release_ = std::move(handler);
}

CircuitBreakerOptions CircuitBreakerRegistry::OptionsLocked(const std::string& ns_id) const {
  auto it = namespaces_.find(ns_id);
  return it == namespaces_.end() ? CircuitBreakerOptions{} : it->second.options;
}

CircuitBreakerRegistry::Key CircuitBreakerRegistry::KeyLocked(const std::string& ns_id,
                                                              const std::string& type,
                                                              const std::string& queue) const {
  return Key{ns_id, type, OptionsLocked(ns_id).per_task_queue ? queue : ""};
}

CircuitBreakerRegistry::Entry& CircuitBreakerRegistry::EntryLocked(const Key& key) {
  auto it = breakers_.find(key);
  if (it == breakers_.end()) {
    it = breakers_.try_emplace(key, OptionsLocked(std::get<0>(key))).first;
  }
  return it->second;
}

bool CircuitBreakerRegistry::ActiveLocked(const Key& key) const {
  if (OptionsLocked(std::get<0>(key)).enabled) return true;
  auto it = breakers_.find(key);
  return it != breakers_.end() &&
         it->second.breaker.override_value() != api::v1::CIRCUIT_BREAKER_OVERRIDE_AUTO;
}

std::string CircuitBreakerRegistry::NameLocked(const std::string& ns_id) const {
  auto it = namespaces_.find(ns_id);
  return it == namespaces_.end() ? ns_id : it->second.name;
}

void CircuitBreakerRegistry::UnholdLocked(const std::string& activity_key) {
  auto it = held_index_.find(activity_key);
  if (it == held_index_.end()) return;
  auto b = breakers_.find(it->second);
  if (b != breakers_.end()) {
    b->second.held.erase(activity_key);
    PublishLocked(b->first, b->second, nullptr);
  }
  held_index_.erase(it);
}

void CircuitBreakerRegistry::PublishLocked(const Key& key, Entry& e,
                                           std::vector<BreakerAttempt>* wake,
                                           bool wake_on_half_open) {
  auto transitions = e.breaker.TakeTransitions();
  BreakerMetrics::Labels labels{{"namespace", NameLocked(std::get<0>(key))},
                                {"activity_type", std::get<1>(key)},
                                {"task_queue", std::get<2>(key)}};
  if (metrics_) {
    metrics_->state_.Add(labels).Set(StateValue(e.breaker.State(clock_->Now())));
    metrics_->held_.Add(labels).Set(static_cast<double>(e.held.size()));
    for (auto to : transitions) {
      BreakerMetrics::Labels l = labels;
      l["to"] = StateLabel(to);
      metrics_->transitions_.Add(l).Increment();
    }
  }
  if (wake == nullptr || transitions.empty() || e.held.empty()) return;
  // Held attempts wait on timers; when the breaker lets attempts through again, wake them
  // now: all of them when it closed, as many as there are probes when an operator made it
  // half-open (a cool-down that ended is when their timers fire anyway).
  auto last = transitions.back();
  size_t n = 0;
  if (last == api::v1::CIRCUIT_BREAKER_STATE_CLOSED) {
    n = e.held.size();
  } else if (last == api::v1::CIRCUIT_BREAKER_STATE_HALF_OPEN && wake_on_half_open) {
    n = static_cast<size_t>(OptionsLocked(std::get<0>(key)).half_open_probes);
  }
  for (auto it = e.held.begin(); it != e.held.end() && n > 0; ++it, --n) {
    wake->push_back(it->second);
  }
}

void CircuitBreakerRegistry::Wake(const std::vector<BreakerAttempt>& attempts) {
  if (attempts.empty()) return;
  ReleaseHandler release;
  {
    std::lock_guard<std::mutex> lock(mu_);
    release = release_;
  }
  if (!release) return;
  for (const auto& a : attempts) release(a);
}

CircuitBreakerRegistry::Decision CircuitBreakerRegistry::Admit(const std::string& activity_type,
                                                               const std::string& task_queue,
                                                               const BreakerAttempt& attempt) {
  Decision d;
  std::vector<BreakerAttempt> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Key key = KeyLocked(attempt.namespace_id, activity_type, task_queue);
    std::string activity = attempt.ActivityKey();
    if (!ActiveLocked(key)) {
      UnholdLocked(activity);
      return d;
    }
    Entry& e = EntryLocked(key);
    auto a = e.breaker.Admit(clock_->Now(), attempt.Id());
    if (a.allowed) {
      UnholdLocked(activity);
    } else {
      d.allowed = false;
      d.retry_at = a.retry_at;
      auto idx = held_index_.find(activity);
      if (idx != held_index_.end() && idx->second != key) UnholdLocked(activity);
      e.held[activity] = attempt;
      held_index_[activity] = key;
      if (metrics_) {
        metrics_->rejected_
            .Add({{"namespace", NameLocked(attempt.namespace_id)},
                  {"activity_type", std::get<1>(key)},
                  {"task_queue", std::get<2>(key)}})
            .Increment();
      }
    }
    PublishLocked(key, e, &wake);
  }
  Wake(wake);
  return d;
}

void CircuitBreakerRegistry::Record(const std::string& activity_type, const std::string& task_queue,
                                    const BreakerAttempt& attempt, AttemptOutcome outcome) {
  std::vector<BreakerAttempt> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Key key = KeyLocked(attempt.namespace_id, activity_type, task_queue);
    if (!ActiveLocked(key)) return;
    Entry& e = EntryLocked(key);
    e.breaker.Record(clock_->Now(), attempt.Id(), outcome);
    PublishLocked(key, e, &wake);
  }
  Wake(wake);
}

void CircuitBreakerRegistry::ForgetHeld(const BreakerAttempt& attempt) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string activity = attempt.ActivityKey();
  auto it = held_index_.find(activity);
  if (it == held_index_.end()) return;
  auto b = breakers_.find(it->second);
  if (b != breakers_.end()) {
    auto h = b->second.held.find(activity);
    // A later hold of the same activity has a timer of its own: keep it.
    if (h != b->second.held.end() && !attempt.hold_token.empty() &&
        h->second.hold_token != attempt.hold_token) {
      return;
    }
  }
  UnholdLocked(activity);
}

void CircuitBreakerRegistry::ConfigureNamespace(const std::string& namespace_id,
                                                const std::string& namespace_name,
                                                const api::v1::CircuitBreakerConfig& config) {
  std::vector<BreakerAttempt> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CircuitBreakerOptions options = CircuitBreakerOptions::FromConfig(config);
    auto old = namespaces_.find(namespace_id);
    bool rekeyed =
        old != namespaces_.end() && (old->second.options.enabled != options.enabled ||
                                     old->second.options.per_task_queue != options.per_task_queue);
    if (old != namespaces_.end() && old->second.name != namespace_name) {
      ids_by_name_.erase(old->second.name);
    }
    namespaces_[namespace_id] = Namespace{namespace_name, options};
    ids_by_name_[namespace_name] = namespace_id;
    for (auto it = breakers_.lower_bound(Key{namespace_id, "", ""});
         it != breakers_.end() && std::get<0>(it->first) == namespace_id;) {
      Entry& e = it->second;
      e.breaker.SetOptions(options);
      bool overridden = e.breaker.override_value() != api::v1::CIRCUIT_BREAKER_OVERRIDE_AUTO;
      if (rekeyed && !overridden) {
        // Turned off, or keyed differently now: what it holds goes, and it starts afresh.
        for (const auto& [activity, a] : e.held) {
          wake.push_back(a);
          held_index_.erase(activity);
        }
        if (metrics_) {
          BreakerMetrics::Labels labels{{"namespace", namespace_name},
                                        {"activity_type", std::get<1>(it->first)},
                                        {"task_queue", std::get<2>(it->first)}};
          metrics_->state_.Add(labels).Set(0);
          metrics_->held_.Add(labels).Set(0);
        }
        it = breakers_.erase(it);
        continue;
      }
      ++it;
    }
  }
  Wake(wake);
}

absl::StatusOr<CircuitBreakerRegistry::Key> CircuitBreakerRegistry::ResolveLocked(
    const std::string& ns_name, const std::string& type, const std::string& queue) const {
  auto id = ids_by_name_.find(ns_name);
  if (id == ids_by_name_.end()) {
    return absl::NotFoundError(absl::StrCat("namespace \"", ns_name, "\" not found"));
  }
  if (type.empty()) {
    return absl::InvalidArgumentError("activity_type is required (e.g. --activity-type Charge)");
  }
  bool per_queue = OptionsLocked(id->second).per_task_queue;
  if (per_queue && queue.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the circuit breakers of namespace \"", ns_name,
                     "\" are per task queue: give the task queue (--task-queue)"));
  }
  if (!per_queue && !queue.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the circuit breakers of namespace \"", ns_name,
        "\" are per activity type, not per task queue: leave the task queue out (or update the "
        "namespace with --breaker-per-task-queue)"));
  }
  return Key{id->second, type, queue};
}

void CircuitBreakerRegistry::FillLocked(const Key& key, Entry& e,
                                        api::v1::CircuitBreakerInfo* info) {
  e.breaker.Describe(clock_->Now(), info);
  info->set_namespace_(NameLocked(std::get<0>(key)));
  info->set_activity_type(std::get<1>(key));
  info->set_task_queue(std::get<2>(key));
  info->set_held_attempts(static_cast<int64_t>(e.held.size()));
  info->set_override_reason(e.override_reason);
}

absl::StatusOr<api::v1::ListCircuitBreakersResponse> CircuitBreakerRegistry::ListCircuitBreakers(
    const api::v1::ListCircuitBreakersRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  auto id = ids_by_name_.find(request.namespace_());
  if (id == ids_by_name_.end()) {
    return absl::NotFoundError(absl::StrCat("namespace \"", request.namespace_(), "\" not found"));
  }
  api::v1::ListCircuitBreakersResponse resp;
  for (auto it = breakers_.lower_bound(Key{id->second, "", ""});
       it != breakers_.end() && std::get<0>(it->first) == id->second; ++it) {
    FillLocked(it->first, it->second, resp.add_breakers());
    PublishLocked(it->first, it->second, nullptr);
  }
  return resp;
}

absl::StatusOr<api::v1::DescribeCircuitBreakerResponse>
CircuitBreakerRegistry::DescribeCircuitBreaker(
    const api::v1::DescribeCircuitBreakerRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  auto key = ResolveLocked(request.namespace_(), request.activity_type(), request.task_queue());
  if (!key.ok()) return key.status();
  api::v1::DescribeCircuitBreakerResponse resp;
  *resp.mutable_config() = OptionsLocked(std::get<0>(*key)).ToConfig();
  auto it = breakers_.find(*key);
  if (it == breakers_.end()) {
    // Nothing seen yet: a fresh breaker says CLOSED with an empty window.
    Entry fresh(OptionsLocked(std::get<0>(*key)));
    FillLocked(*key, fresh, resp.mutable_breaker());
    return resp;
  }
  FillLocked(it->first, it->second, resp.mutable_breaker());
  PublishLocked(it->first, it->second, nullptr);
  return resp;
}

absl::StatusOr<api::v1::SetCircuitBreakerOverrideResponse>
CircuitBreakerRegistry::SetCircuitBreakerOverride(
    const api::v1::SetCircuitBreakerOverrideRequest& request, const std::string& set_by) {
  api::v1::CircuitBreakerOverride value = request.override();
  if (value == api::v1::CIRCUIT_BREAKER_OVERRIDE_UNSPECIFIED ||
      !api::v1::CircuitBreakerOverride_IsValid(value)) {
    return absl::InvalidArgumentError(
        "override must be FORCE_OPEN, FORCE_CLOSED or AUTO (AUTO removes an override)");
  }
  if (request.reason().size() > 1000) {
    return absl::InvalidArgumentError("reason is longer than 1000 characters");
  }
  api::v1::SetCircuitBreakerOverrideResponse resp;
  std::vector<BreakerAttempt> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto key = ResolveLocked(request.namespace_(), request.activity_type(), request.task_queue());
    if (!key.ok()) return key.status();
    std::string store_key = StoreKey(std::get<0>(*key), std::get<1>(*key), std::get<2>(*key));
    // On disk before it takes effect: an acknowledged override survives a crash.
    absl::Status s;
    if (value == api::v1::CIRCUIT_BREAKER_OVERRIDE_AUTO) {
      storage::Batch b;
      b.Delete(storage::Cf::kMeta, store_key);
      s = store_->Write(b);
    } else {
      internal::CircuitBreakerOverrideRecord r;
      r.set_override(value);
      r.set_reason(request.reason());
      r.set_set_by(set_by);
      *r.mutable_set_time() = ToProto(clock_->Now());
      s = store_->Put(storage::Cf::kMeta, store_key, r.SerializeAsString());
    }
    if (!s.ok()) return s;
    Entry& e = EntryLocked(*key);
    e.breaker.SetOverride(clock_->Now(), value);
    e.override_reason =
        value == api::v1::CIRCUIT_BREAKER_OVERRIDE_AUTO ? std::string() : request.reason();
    PublishLocked(*key, e, &wake, /*wake_on_half_open=*/true);
    FillLocked(*key, e, resp.mutable_breaker());
  }
  Wake(wake);
  return resp;
}

}  // namespace weft::history
