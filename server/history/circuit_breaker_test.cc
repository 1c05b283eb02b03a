// Unit tests of the circuit breaker state machine (time passed in directly) and of the
// registry (fake clock, real store in a temporary directory).
#include "server/history/circuit_breaker.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "server/common/proto_time.h"
#include "server/history/circuit_breaker_registry.h"

namespace weft::history {
namespace {

using api::v1::CircuitBreakerState;
constexpr auto kClosed = api::v1::CIRCUIT_BREAKER_STATE_CLOSED;
constexpr auto kOpen = api::v1::CIRCUIT_BREAKER_STATE_OPEN;
constexpr auto kHalfOpen = api::v1::CIRCUIT_BREAKER_STATE_HALF_OPEN;

CircuitBreakerOptions Opts(int min_attempts = 4, int probes = 1) {
  CircuitBreakerOptions o;
  o.enabled = true;
  o.failure_rate_threshold = 0.5;
  o.minimum_attempts = min_attempts;
  o.window = absl::Seconds(10);
  o.open_duration = absl::Seconds(5);
  o.half_open_probes = probes;
  return o;
}

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(CircuitBreakerTest, StaysClosedBelowTheMinimumVolume) {
  CircuitBreaker b(Opts(4));
  for (int i = 0; i < 3; ++i) b.Record(kT0, "a", AttemptOutcome::kFailure);
  EXPECT_EQ(b.State(kT0), kClosed);
  EXPECT_TRUE(b.Admit(kT0, "x").allowed);
  b.Record(kT0, "a", AttemptOutcome::kFailure);
  EXPECT_EQ(b.State(kT0), kOpen);
}

TEST(CircuitBreakerTest, OpensAtTheThresholdAndHoldsForTheCoolDown) {
  CircuitBreaker b(Opts(4));
  b.Record(kT0, "s1", AttemptOutcome::kSuccess);
  b.Record(kT0, "s2", AttemptOutcome::kSuccess);
  b.Record(kT0, "f1", AttemptOutcome::kFailure);
  EXPECT_EQ(b.State(kT0), kClosed);  // 1 of 3: below the volume and the rate
  b.Record(kT0 + absl::Seconds(1), "f2", AttemptOutcome::kFailure);  // 2 of 4 = 0.5
  EXPECT_EQ(b.State(kT0 + absl::Seconds(1)), kOpen);
  auto a = b.Admit(kT0 + absl::Seconds(2), "x");
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.retry_at, kT0 + absl::Seconds(6));
  api::v1::CircuitBreakerInfo info;
  b.Describe(kT0 + absl::Seconds(2), &info);
  EXPECT_EQ(info.state(), kOpen);
  EXPECT_EQ(info.times_opened(), 1);
  EXPECT_EQ(FromProto(info.opened_time()), kT0 + absl::Seconds(1));
  EXPECT_EQ(FromProto(info.next_probe_time()), kT0 + absl::Seconds(6));
  EXPECT_EQ(info.window_failures(), 2);
  EXPECT_DOUBLE_EQ(info.failure_rate(), 0.5);
}

TEST(CircuitBreakerTest, NeutralOutcomesDoNotCount) {
  CircuitBreaker b(Opts(2));
  b.Record(kT0, "a", AttemptOutcome::kNeutral);
  b.Record(kT0, "b", AttemptOutcome::kNeutral);
  b.Record(kT0, "c", AttemptOutcome::kFailure);
  EXPECT_EQ(b.State(kT0), kClosed);
  api::v1::CircuitBreakerInfo info;
  b.Describe(kT0, &info);
  EXPECT_EQ(info.window_successes() + info.window_failures(), 1);
}

TEST(CircuitBreakerTest, OldOutcomesRollOutOfTheWindow) {
  CircuitBreaker b(Opts(4));
  for (int i = 0; i < 3; ++i) b.Record(kT0, "a", AttemptOutcome::kFailure);
  // 11 s later the first three are outside the 10 s window: one failure is not enough.
  b.Record(kT0 + absl::Seconds(11), "b", AttemptOutcome::kFailure);
  EXPECT_EQ(b.State(kT0 + absl::Seconds(11)), kClosed);
  api::v1::CircuitBreakerInfo info;
  b.Describe(kT0 + absl::Seconds(11), &info);
  EXPECT_EQ(info.window_failures(), 1);
}

// Opens a breaker at kT0 (open until kT0 + 5 s).
void OpenAtT0(CircuitBreaker& b) {
  for (int i = 0; i < 4; ++i) b.Record(kT0, "f", AttemptOutcome::kFailure);
  ASSERT_EQ(b.State(kT0), kOpen);
}

TEST(CircuitBreakerTest, HalfOpenLetsOnlyTheProbesThrough) {
  CircuitBreaker b(Opts(4, 2));
  OpenAtT0(b);
  absl::Time t = kT0 + absl::Seconds(5);
  EXPECT_EQ(b.State(t), kHalfOpen);
  auto p1 = b.Admit(t, "p1");
  auto p2 = b.Admit(t, "p2");
  auto p3 = b.Admit(t, "p3");
  EXPECT_TRUE(p1.allowed && p1.probe);
  EXPECT_TRUE(p2.allowed && p2.probe);
  EXPECT_FALSE(p3.allowed);
  EXPECT_EQ(p3.retry_at, t + absl::Seconds(5));  // when a silent probe's slot frees
  EXPECT_TRUE(b.Admit(t, "p1").allowed);         // asking again keeps its slot
  api::v1::CircuitBreakerInfo info;
  b.Describe(t, &info);
  EXPECT_EQ(info.probes_in_flight(), 2);
  // Both probes must succeed to close it.
  b.Record(t, "p1", AttemptOutcome::kSuccess);
  EXPECT_EQ(b.State(t), kHalfOpen);
  b.Record(t, "p2", AttemptOutcome::kSuccess);
  EXPECT_EQ(b.State(t), kClosed);
  EXPECT_TRUE(b.Admit(t, "p3").allowed);
  EXPECT_EQ(b.TakeTransitions(), (std::vector<CircuitBreakerState>{kOpen, kHalfOpen, kClosed}));
}

TEST(CircuitBreakerTest, AFailedProbeReopens) {
  CircuitBreaker b(Opts(4));
  OpenAtT0(b);
  absl::Time t = kT0 + absl::Seconds(6);
  ASSERT_TRUE(b.Admit(t, "p").allowed);
  // An attempt that was not a probe (dispatched before the breaker opened) decides nothing.
  b.Record(t, "straggler", AttemptOutcome::kSuccess);
  EXPECT_EQ(b.State(t), kHalfOpen);
  b.Record(t, "p", AttemptOutcome::kFailure);
  EXPECT_EQ(b.State(t), kOpen);
  auto a = b.Admit(t + absl::Seconds(1), "q");
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.retry_at, t + absl::Seconds(5));
  api::v1::CircuitBreakerInfo info;
  b.Describe(t, &info);
  EXPECT_EQ(info.times_opened(), 2);
}

TEST(CircuitBreakerTest, ASilentProbeFreesItsSlotAfterTheCoolDown) {
  CircuitBreaker b(Opts(4));
  OpenAtT0(b);
  absl::Time t = kT0 + absl::Seconds(5);
  ASSERT_TRUE(b.Admit(t, "p").allowed);
  EXPECT_FALSE(b.Admit(t + absl::Seconds(4), "q").allowed);
  EXPECT_TRUE(b.Admit(t + absl::Seconds(5), "q").allowed);
  // At most one probe per open_duration while the downstream says nothing.
  EXPECT_FALSE(b.Admit(t + absl::Seconds(6), "r").allowed);
}

TEST(CircuitBreakerTest, ANeutralProbeFreesItsSlotWithoutDeciding) {
  CircuitBreaker b(Opts(4));
  OpenAtT0(b);
  absl::Time t = kT0 + absl::Seconds(5);
  ASSERT_TRUE(b.Admit(t, "p").allowed);
  b.Record(t, "p", AttemptOutcome::kNeutral);
  EXPECT_EQ(b.State(t), kHalfOpen);
  EXPECT_TRUE(b.Admit(t, "q").allowed);
}

TEST(CircuitBreakerTest, ForceOpenHoldsEverythingAndAutoProbesFirst) {
  CircuitBreaker b(Opts(4));
  b.SetOverride(kT0, api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN);
  EXPECT_EQ(b.State(kT0), kOpen);
  auto a = b.Admit(kT0 + absl::Hours(1), "x");
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.retry_at, kT0 + absl::Hours(1) + absl::Seconds(5));
  // Successes while forced open change nothing.
  b.Record(kT0, "y", AttemptOutcome::kSuccess);
  EXPECT_EQ(b.State(kT0 + absl::Hours(2)), kOpen);
  b.SetOverride(kT0 + absl::Hours(2), api::v1::CIRCUIT_BREAKER_OVERRIDE_AUTO);
  EXPECT_EQ(b.State(kT0 + absl::Hours(2)), kHalfOpen);
  EXPECT_TRUE(b.Admit(kT0 + absl::Hours(2), "p").allowed);
  EXPECT_FALSE(b.Admit(kT0 + absl::Hours(2), "q").allowed);
}

TEST(CircuitBreakerTest, ForceClosedLetsEverythingThroughAndNeverOpens) {
  CircuitBreaker b(Opts(4));
  OpenAtT0(b);
  b.SetOverride(kT0, api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_CLOSED);
  EXPECT_EQ(b.State(kT0), kClosed);
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(b.Admit(kT0, absl::StrCat("a", i)).allowed);
    b.Record(kT0, absl::StrCat("a", i), AttemptOutcome::kFailure);
  }
  EXPECT_EQ(b.State(kT0), kClosed);
  // Back to automatic: closed with a fresh window.
  b.SetOverride(kT0, api::v1::CIRCUIT_BREAKER_OVERRIDE_AUTO);
  EXPECT_EQ(b.State(kT0), kClosed);
  api::v1::CircuitBreakerInfo info;
  b.Describe(kT0, &info);
  EXPECT_EQ(info.window_failures(), 0);
}

TEST(CircuitBreakerOptionsTest, ZeroValuesTakeTheDefaults) {
  auto o = CircuitBreakerOptions::FromConfig({});
  EXPECT_FALSE(o.enabled);
  EXPECT_DOUBLE_EQ(o.failure_rate_threshold, 0.5);
  EXPECT_EQ(o.minimum_attempts, 20);
  EXPECT_EQ(o.window, absl::Seconds(60));
  EXPECT_EQ(o.open_duration, absl::Seconds(30));
  EXPECT_EQ(o.half_open_probes, 1);
  auto c = o.ToConfig();
  EXPECT_EQ(c.minimum_attempts(), 20);
  EXPECT_EQ(FromProto(c.open_duration()), absl::Seconds(30));
}

// ---- registry ----

class CircuitBreakerRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft-breaker-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = storage::Store::Open(dir_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    metrics_ = std::make_unique<Metrics>();
    registry_ = NewRegistry();
  }
  void TearDown() override {
    registry_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<CircuitBreakerRegistry> NewRegistry() {
    auto r = std::make_unique<CircuitBreakerRegistry>(store_.get(), &clock_, metrics_.get());
    EXPECT_TRUE(r->Load().ok());
    r->ConfigureNamespace("ns-id", "payments", Config());
    r->SetReleaseHandler([this](const BreakerAttempt& a) { released_.push_back(a); });
    return r;
  }
  static api::v1::CircuitBreakerConfig Config(bool enabled = true, bool per_queue = false) {
    api::v1::CircuitBreakerConfig c;
    c.set_enabled(enabled);
    c.set_minimum_attempts(2);
    c.set_failure_rate_threshold(0.5);
    *c.mutable_open_duration() = ToProto(absl::Seconds(5));
    c.set_per_task_queue(per_queue);
    return c;
  }
  static BreakerAttempt Attempt(const std::string& wf, int attempt = 1) {
    BreakerAttempt a;
    a.namespace_id = "ns-id";
    a.workflow_id = wf;
    a.run_id = "run";
    a.scheduled_event_id = 5;
    a.attempt = attempt;
    a.hold_token = "tok-" + wf;
    return a;
  }
  void Fail(const std::string& wf) {
    registry_->Record("Charge", "q", Attempt(wf), AttemptOutcome::kFailure);
  }
  api::v1::CircuitBreakerInfo Describe(const std::string& queue = "") {
    api::v1::DescribeCircuitBreakerRequest req;
    req.set_namespace_("payments");
    req.set_activity_type("Charge");
    req.set_task_queue(queue);
    auto r = registry_->DescribeCircuitBreaker(req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->breaker() : api::v1::CircuitBreakerInfo{};
  }
  absl::Status Override(api::v1::CircuitBreakerOverride o, const std::string& queue = "") {
    api::v1::SetCircuitBreakerOverrideRequest req;
    req.set_namespace_("payments");
    req.set_activity_type("Charge");
    req.set_task_queue(queue);
    req.set_override(o);
    req.set_reason("downstream maintenance");
    return registry_->SetCircuitBreakerOverride(req, "alice").status();
  }

  std::string dir_;
  FakeClock clock_{kT0};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<CircuitBreakerRegistry> registry_;
  std::vector<BreakerAttempt> released_;
};

TEST_F(CircuitBreakerRegistryTest, DisabledNamespacesAdmitEverything) {
  registry_->ConfigureNamespace("ns-id", "payments", Config(/*enabled=*/false));
  for (int i = 0; i < 10; ++i) Fail(absl::StrCat("w", i));
  EXPECT_TRUE(registry_->Admit("Charge", "q", Attempt("x")).allowed);
  EXPECT_EQ(Describe().state(), kClosed);
}

TEST_F(CircuitBreakerRegistryTest, HeldAttemptsAreWokenWhenTheBreakerCloses) {
  Fail("w1");
  Fail("w2");
  EXPECT_EQ(Describe().state(), kOpen);
  auto d = registry_->Admit("Charge", "q", Attempt("held1"));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_at, kT0 + absl::Seconds(5));
  EXPECT_FALSE(registry_->Admit("Charge", "q", Attempt("held2")).allowed);
  EXPECT_EQ(Describe().held_attempts(), 2);
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(registry_->Admit("Charge", "q", Attempt("probe")).allowed);
  EXPECT_EQ(Describe().state(), kHalfOpen);
  EXPECT_TRUE(released_.empty());
  registry_->Record("Charge", "q", Attempt("probe"), AttemptOutcome::kSuccess);
  EXPECT_EQ(Describe().state(), kClosed);
  ASSERT_EQ(released_.size(), 2u);
  EXPECT_EQ(released_[0].workflow_id, "held1");
  EXPECT_EQ(released_[0].hold_token, "tok-held1");
  // They stay counted as held until they are asked again.
  EXPECT_TRUE(registry_->Admit("Charge", "q", Attempt("held1")).allowed);
  EXPECT_EQ(Describe().held_attempts(), 1);
}

TEST_F(CircuitBreakerRegistryTest, AStaleHoldTimerForgetsOnlyItsOwnHold) {
  Fail("w1");
  Fail("w2");
  BreakerAttempt a = Attempt("held");
  ASSERT_FALSE(registry_->Admit("Charge", "q", a).allowed);
  BreakerAttempt older = a;
  older.hold_token = "an-older-hold";
  registry_->ForgetHeld(older);
  EXPECT_EQ(Describe().held_attempts(), 1);
  registry_->ForgetHeld(a);
  EXPECT_EQ(Describe().held_attempts(), 0);
}

TEST_F(CircuitBreakerRegistryTest, OverridesArePersistedAndReloaded) {
  ASSERT_TRUE(Override(api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN).ok());
  EXPECT_FALSE(registry_->Admit("Charge", "q", Attempt("x")).allowed);
  registry_ = NewRegistry();  // a restart: windows are gone, overrides are not
  auto info = Describe();
  EXPECT_EQ(info.state(), kOpen);
  EXPECT_EQ(info.override(), api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN);
  EXPECT_EQ(info.override_reason(), "downstream maintenance");
  EXPECT_FALSE(registry_->Admit("Charge", "q", Attempt("x")).allowed);
  // Even with the namespace's breakers off, an operator's FORCE_OPEN holds.
  registry_->ConfigureNamespace("ns-id", "payments", Config(/*enabled=*/false));
  EXPECT_FALSE(registry_->Admit("Charge", "q", Attempt("x")).allowed);
  ASSERT_TRUE(Override(api::v1::CIRCUIT_BREAKER_OVERRIDE_AUTO).ok());
  EXPECT_TRUE(registry_->Admit("Charge", "q", Attempt("x")).allowed);
  registry_ = NewRegistry();
  EXPECT_EQ(Describe().override(), api::v1::CIRCUIT_BREAKER_OVERRIDE_AUTO);
}

TEST_F(CircuitBreakerRegistryTest, ForceClosedReleasesHeldAttempts) {
  Fail("w1");
  Fail("w2");
  ASSERT_FALSE(registry_->Admit("Charge", "q", Attempt("held")).allowed);
  ASSERT_TRUE(Override(api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_CLOSED).ok());
  ASSERT_EQ(released_.size(), 1u);
  EXPECT_TRUE(registry_->Admit("Charge", "q", Attempt("held")).allowed);
}

TEST_F(CircuitBreakerRegistryTest, BadRequestsSayWhatToFix) {
  auto code = [](const absl::Status& s) { return s.code(); };
  EXPECT_EQ(code(Override(api::v1::CIRCUIT_BREAKER_OVERRIDE_UNSPECIFIED)),
            absl::StatusCode::kInvalidArgument);
  auto s = Override(api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN, "q");
  EXPECT_EQ(code(s), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not per task queue"), std::string::npos) << s;
  registry_->ConfigureNamespace("ns-id", "payments", Config(true, /*per_queue=*/true));
  s = Override(api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN);
  EXPECT_EQ(code(s), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--task-queue"), std::string::npos) << s;
  api::v1::ListCircuitBreakersRequest list;
  list.set_namespace_("nope");
  EXPECT_EQ(code(registry_->ListCircuitBreakers(list).status()), absl::StatusCode::kNotFound);
  api::v1::DescribeCircuitBreakerRequest d;
  d.set_namespace_("payments");
  d.set_task_queue("q");
  EXPECT_EQ(code(registry_->DescribeCircuitBreaker(d).status()),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CircuitBreakerRegistryTest, PerTaskQueueBreakersAreSeparate) {
  registry_->ConfigureNamespace("ns-id", "payments", Config(true, /*per_queue=*/true));
  registry_->Record("Charge", "eu", Attempt("a"), AttemptOutcome::kFailure);
  registry_->Record("Charge", "eu", Attempt("b"), AttemptOutcome::kFailure);
  EXPECT_FALSE(registry_->Admit("Charge", "eu", Attempt("c")).allowed);
  EXPECT_TRUE(registry_->Admit("Charge", "us", Attempt("d")).allowed);
  EXPECT_EQ(Describe("eu").state(), kOpen);
  EXPECT_EQ(Describe("us").state(), kClosed);
  api::v1::ListCircuitBreakersRequest list;
  list.set_namespace_("payments");
  auto l = registry_->ListCircuitBreakers(list);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->breakers_size(), 2);
  EXPECT_EQ(l->breakers(0).task_queue(), "eu");
  EXPECT_EQ(l->breakers(0).held_attempts(), 1);
}

}  // namespace
}  // namespace weft::history
