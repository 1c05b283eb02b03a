// The history engine with server-side circuit breakers, on a real store in a temporary
// directory with a fake clock and a fake matching: held attempts are not dispatched, not
// failed and not counted, survive as timers, and are let go by probes.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include "server/common/proto_time.h"
#include "server/history/circuit_breaker_registry.h"
#include "server/history/history_engine.h"
#include "server/history/testing/engine_test_fixture.h"

namespace weft::history {
namespace {

using namespace api::v1;  // NOLINT: test brevity

using test_support::FakeMatching;

class BreakerEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = test_support::OpenTempStore("weft-breaker-engine-test", &dir_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    breakers_ = std::make_unique<CircuitBreakerRegistry>(store_.get(), &clock_, nullptr);
    ASSERT_TRUE(breakers_->Load().ok());
    CircuitBreakerConfig c;
    c.set_enabled(true);
    c.set_minimum_attempts(2);
    c.set_failure_rate_threshold(0.5);
    *c.mutable_open_duration() = ToProto(absl::Seconds(5));
    c.set_half_open_probes(1);
    breakers_->ConfigureNamespace(ns_.id, ns_.name, c);
    HistoryEngine::Options opts;
    opts.num_shards = 2;
    opts.circuit_breakers = breakers_.get();
    engine_ = std::make_unique<HistoryEngine>(store_.get(), &matching_, &clock_, nullptr, opts);
    ASSERT_TRUE(engine_->Start().ok());
  }
  void TearDown() override {
    engine_.reset();
    breakers_.reset();
    store_.reset();
    test_support::RemoveTempDir(dir_);
  }

  // Starts `id` and answers its first workflow task by scheduling activity "Charge".
  void StartWithActivity(const std::string& id,
                         absl::Duration schedule_to_close = absl::ZeroDuration()) {
    StartWorkflowExecutionRequest req;
    req.set_workflow_id(id);
    req.mutable_workflow_type()->set_name("Wf");
    req.mutable_task_queue()->set_name("q");
    *req.mutable_workflow_task_timeout() = ToProto(absl::Hours(1));
    ASSERT_TRUE(engine_->StartWorkflowExecution(ns_, req, nullptr).ok());
    auto t = matching_.Next(internal::TASK_KIND_WORKFLOW);
    ASSERT_TRUE(t.has_value());
    auto wt = engine_->RecordWorkflowTaskStarted(ns_, *t, "w");
    ASSERT_TRUE(wt.ok()) << wt.status();
    RespondWorkflowTaskCompletedRequest done;
    done.set_task_token(wt->task_token());
    Command* c = done.add_commands();
    c->set_command_type(COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK);
    auto* a = c->mutable_schedule_activity_task_command_attributes();
    a->set_activity_id("1");
    a->mutable_activity_type()->set_name("Charge");
    *a->mutable_start_to_close_timeout() = ToProto(absl::Hours(1));
    if (schedule_to_close > absl::ZeroDuration()) {
      *a->mutable_schedule_to_close_timeout() = ToProto(schedule_to_close);
    }
    *a->mutable_retry_policy()->mutable_initial_interval() = ToProto(absl::Seconds(1));
    a->mutable_retry_policy()->set_backoff_coefficient(1.0);
    ASSERT_TRUE(engine_->RespondWorkflowTaskCompleted(ns_, done).ok());
  }

  PendingActivityInfo Pending(const std::string& id) {
    WorkflowExecution e;
    e.set_workflow_id(id);
    auto d = engine_->DescribeWorkflowExecution(ns_, e);
    EXPECT_TRUE(d.ok()) << d.status();
    if (!d.ok() || d->pending_activities().empty()) return {};
    return d->pending_activities(0);
  }

  CircuitBreakerInfo Breaker() {
    DescribeCircuitBreakerRequest req;
    req.set_namespace_(ns_.name);
    req.set_activity_type("Charge");
    auto r = breakers_->DescribeCircuitBreaker(req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->breaker() : CircuitBreakerInfo{};
  }

  void SetOverride(CircuitBreakerOverride o) {
    SetCircuitBreakerOverrideRequest req;
    req.set_namespace_(ns_.name);
    req.set_activity_type("Charge");
    req.set_override(o);
    ASSERT_TRUE(breakers_->SetCircuitBreakerOverride(req, "test").ok());
  }
  void OverrideBreakerOpen() { SetOverride(CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN); }

  // Waits (real time, bounded) until `id`'s activity is in `state`.
  bool WaitForState(const std::string& id, const std::string& state) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (Pending(id).state() == state) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

  std::string dir_;
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  FakeMatching matching_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<CircuitBreakerRegistry> breakers_;
  std::unique_ptr<HistoryEngine> engine_;
  NamespaceRef ns_{"ns-id", "ns"};
};

TEST_F(BreakerEngineTest, HeldAttemptsAreNotCountedAndProbesLetThemGo) {
  for (const char* id : {"a", "b", "c"}) StartWithActivity(id);
  std::map<std::string, internal::BacklogTask> tasks;
  for (int i = 0; i < 3; ++i) {
    auto t = matching_.Next(internal::TASK_KIND_ACTIVITY);
    ASSERT_TRUE(t.has_value());
    tasks[t->workflow_id()] = *t;
  }
  // a and b fail: two failures of two attempts opens the breaker.
  for (const char* id : {"a", "b"}) {
    auto started = engine_->RecordActivityTaskStarted(ns_, tasks[id], "w");
    ASSERT_TRUE(started.ok()) << started.status();
    RespondActivityTaskFailedRequest f;
    f.set_task_token(started->task_token());
    f.mutable_failure()->set_message("bank down");
    ASSERT_TRUE(engine_->RespondActivityTaskFailed(ns_, f).ok());
  }
  ASSERT_EQ(Breaker().state(), CIRCUIT_BREAKER_STATE_OPEN);

  // c was handed to matching while the breaker was closed; its start is refused now and the
  // attempt is held, still attempt 1.
  auto refused = engine_->RecordActivityTaskStarted(ns_, tasks["c"], "w");
  EXPECT_TRUE(absl::IsNotFound(refused.status())) << refused.status();
  EXPECT_NE(refused.status().message().find("circuit breaker"), std::string::npos);
  EXPECT_EQ(Pending("c").state(), "BREAKER_OPEN");
  EXPECT_EQ(Pending("c").attempt(), 1);

  // a's and b's retries come due after 1 s: held, not dispatched, still attempt 2.
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(WaitForState("a", "BREAKER_OPEN"));
  ASSERT_TRUE(WaitForState("b", "BREAKER_OPEN"));
  EXPECT_EQ(Pending("a").attempt(), 2);
  EXPECT_FALSE(matching_.Next(internal::TASK_KIND_ACTIVITY, absl::Milliseconds(300)).has_value());
  EXPECT_EQ(Breaker().held_attempts(), 3);

  // Past the cool-down the holds' timers fire: exactly one probe goes to matching.
  clock_.Advance(absl::Seconds(5));
  auto probe = matching_.Next(internal::TASK_KIND_ACTIVITY);
  ASSERT_TRUE(probe.has_value());
  EXPECT_FALSE(matching_.Next(internal::TASK_KIND_ACTIVITY, absl::Milliseconds(500)).has_value());
  EXPECT_EQ(Breaker().state(), CIRCUIT_BREAKER_STATE_HALF_OPEN);
  EXPECT_EQ(Breaker().probes_in_flight(), 1);

  // The probe succeeds: the breaker closes and the other held attempts go at once, without
  // waiting for their timers (the fake clock does not move).
  auto started = engine_->RecordActivityTaskStarted(ns_, *probe, "w");
  ASSERT_TRUE(started.ok()) << started.status();
  RespondActivityTaskCompletedRequest ok;
  ok.set_task_token(started->task_token());
  ASSERT_TRUE(engine_->RespondActivityTaskCompleted(ns_, ok).ok());
  EXPECT_EQ(Breaker().state(), CIRCUIT_BREAKER_STATE_CLOSED);
  std::set<std::string> released;
  for (int i = 0; i < 2; ++i) {
    auto t = matching_.Next(internal::TASK_KIND_ACTIVITY);
    ASSERT_TRUE(t.has_value()) << "held attempt " << i << " not released";
    released.insert(t->workflow_id());
    // Held attempts keep their number: c is still on its first attempt.
    EXPECT_EQ(t->attempt(), t->workflow_id() == "c" ? 1 : 2);
    auto s = engine_->RecordActivityTaskStarted(ns_, *t, "w");
    ASSERT_TRUE(s.ok()) << s.status();
    RespondActivityTaskCompletedRequest done;
    done.set_task_token(s->task_token());
    ASSERT_TRUE(engine_->RespondActivityTaskCompleted(ns_, done).ok());
  }
  EXPECT_EQ(released.size(), 2u);
  EXPECT_FALSE(released.contains(probe->workflow_id()));
  EXPECT_EQ(Breaker().held_attempts(), 0);
  for (const char* id : {"a", "b", "c"}) {
    WorkflowExecution e;
    e.set_workflow_id(id);
    auto d = engine_->DescribeWorkflowExecution(ns_, e);
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->pending_activities().empty()) << id;
  }
}

TEST_F(BreakerEngineTest, AHeldAttemptSurvivesARestartAndGoesWhenTheOverrideIsLifted) {
  OverrideBreakerOpen();
  StartWithActivity("held");
  EXPECT_EQ(Pending("held").state(), "BREAKER_OPEN");
  EXPECT_FALSE(matching_.Next(internal::TASK_KIND_ACTIVITY, absl::Milliseconds(300)).has_value());
  // Restart the engine on the same store: the hold is in mutable state and a timer.
  engine_.reset();
  HistoryEngine::Options opts;
  opts.num_shards = 2;
  opts.circuit_breakers = breakers_.get();
  engine_ = std::make_unique<HistoryEngine>(store_.get(), &matching_, &clock_, nullptr, opts);
  ASSERT_TRUE(engine_->Start().ok());
  EXPECT_EQ(Pending("held").state(), "BREAKER_OPEN");
  // Back to automatic: it probes first, and the held attempt is that probe.
  SetOverride(CIRCUIT_BREAKER_OVERRIDE_AUTO);
  auto t = matching_.Next(internal::TASK_KIND_ACTIVITY);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->workflow_id(), "held");
  EXPECT_EQ(t->attempt(), 1);
}

TEST_F(BreakerEngineTest, ScheduleToCloseStillBoundsAHeldActivity) {
  OverrideBreakerOpen();
  StartWithActivity("bounded", absl::Seconds(3));
  ASSERT_EQ(Pending("bounded").state(), "BREAKER_OPEN");
  // The user's deadline passes while the breaker holds the attempt: the activity times out
  // (schedule-to-close), and the workflow hears of it.
  clock_.Advance(absl::Seconds(3));
  auto wt = matching_.Next(internal::TASK_KIND_WORKFLOW);
  ASSERT_TRUE(wt.has_value());
  GetWorkflowExecutionHistoryRequest req;
  req.mutable_execution()->set_workflow_id("bounded");
  auto h = engine_->GetWorkflowExecutionHistory(ns_, req, absl::Now());
  ASSERT_TRUE(h.ok()) << h.status();
  bool timed_out = false;
  for (const auto& e : h->history().events()) {
    if (e.event_type() == EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT) {
      timed_out = true;
      EXPECT_EQ(e.activity_task_timed_out_event_attributes().timeout_type(),
                TIMEOUT_TYPE_SCHEDULE_TO_CLOSE);
    }
  }
  EXPECT_TRUE(timed_out);
  EXPECT_FALSE(matching_.Next(internal::TASK_KIND_ACTIVITY, absl::Milliseconds(200)).has_value());
}

}  // namespace
}  // namespace weft::history
