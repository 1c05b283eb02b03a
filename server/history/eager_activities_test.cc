// Eager activity dispatch in the history engine (eager_activities.cc), on a real store in a
// temporary directory, with a fake clock and a fake matching that records the tasks it gets
// and reports a dispatch rate limit when told to.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>

#include "server/common/metrics.h"
#include "server/common/proto_time.h"
#include "server/history/circuit_breaker_registry.h"
#include "server/history/history_engine.h"
#include "server/history/testing/engine_test_fixture.h"

namespace weft::history {
namespace {

using namespace api::v1;  // NOLINT: test brevity

using test_support::FakeMatching;

class EagerActivitiesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = test_support::OpenTempStore("weft-eager-test", &dir_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    breakers_ = std::make_unique<CircuitBreakerRegistry>(store_.get(), &clock_, nullptr);
    ASSERT_TRUE(breakers_->Load().ok());
    OpenEngine();
  }
  void TearDown() override {
    engine_.reset();
    breakers_.reset();
    store_.reset();
    test_support::RemoveTempDir(dir_);
  }

  void OpenEngine() {
    engine_.reset();
    HistoryEngine::Options opts;
    opts.num_shards = 2;
    opts.circuit_breakers = breakers_.get();
    engine_ = std::make_unique<HistoryEngine>(store_.get(), &matching_, &clock_, &metrics_, opts);
    ASSERT_TRUE(engine_->Start().ok());
  }

  // Starts `id` on queue "q" and starts its first workflow task.
  PollWorkflowTaskQueueResponse StartAndTakeWorkflowTask(const std::string& id) {
    StartWorkflowExecutionRequest req;
    req.set_workflow_id(id);
    req.mutable_workflow_type()->set_name("Wf");
    req.mutable_task_queue()->set_name("q");
    *req.mutable_workflow_task_timeout() = ToProto(absl::Hours(1));
    EXPECT_TRUE(engine_->StartWorkflowExecution(ns_, req, nullptr).ok());
    auto t = matching_.NextEntry(internal::TASK_KIND_WORKFLOW);
    EXPECT_TRUE(t.has_value());
    if (!t) return {};
    auto wt = engine_->RecordWorkflowTaskStarted(ns_, t->second, "worker-1");
    EXPECT_TRUE(wt.ok()) << wt.status();
    return wt.ok() ? *wt : PollWorkflowTaskQueueResponse();
  }

  static Command Activity(const std::string& id, bool eager = true, const std::string& queue = "",
                          const std::string& type = "A") {
    Command c;
    c.set_command_type(COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK);
    auto* a = c.mutable_schedule_activity_task_command_attributes();
    a->set_activity_id(id);
    a->mutable_activity_type()->set_name(type);
    if (!queue.empty()) a->mutable_task_queue()->set_name(queue);
    a->mutable_input()->add_payloads()->set_data("in-" + id);
    *a->mutable_start_to_close_timeout() = ToProto(absl::Seconds(10));
    *a->mutable_heartbeat_timeout() = ToProto(absl::Seconds(5));
    *a->mutable_retry_policy()->mutable_initial_interval() = ToProto(absl::Seconds(1));
    a->mutable_retry_policy()->set_backoff_coefficient(1.0);
    a->set_request_eager_execution(eager);
    return c;
  }

  absl::StatusOr<RespondWorkflowTaskCompletedResponse> Complete(
      const PollWorkflowTaskQueueResponse& wt, std::vector<Command> cmds, int slots) {
    RespondWorkflowTaskCompletedRequest req;
    req.set_task_token(wt.task_token());
    req.set_identity("worker-1");
    req.set_eager_activity_slots(slots);
    for (auto& c : cmds) *req.add_commands() = std::move(c);
    RespondWorkflowTaskCompletedResponse resp;
    if (auto s = engine_->RespondWorkflowTaskCompleted(ns_, req, &resp); !s.ok()) return s;
    return resp;
  }

  // Pending activities by activity id.
  std::map<std::string, PendingActivityInfo> Pending(const std::string& id) {
    WorkflowExecution e;
    e.set_workflow_id(id);
    auto d = engine_->DescribeWorkflowExecution(ns_, e);
    EXPECT_TRUE(d.ok()) << d.status();
    std::map<std::string, PendingActivityInfo> out;
    if (d.ok()) {
      for (const auto& p : d->pending_activities()) out[p.activity_id()] = p;
    }
    return out;
  }

  std::vector<HistoryEvent> Events(const std::string& id) {
    GetWorkflowExecutionHistoryRequest req;
    req.mutable_execution()->set_workflow_id(id);
    auto r = engine_->GetWorkflowExecutionHistory(ns_, req, absl::Now());
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {};
    return {r->history().events().begin(), r->history().events().end()};
  }

  // The value of a counter or a histogram's sample count with exactly these labels.
  double Metric(const std::string& name, const std::map<std::string, std::string>& labels) {
    for (const auto& family : metrics_.registry()->Collect()) {
      if (family.name != name) continue;
      for (const auto& m : family.metric) {
        std::map<std::string, std::string> got;
        for (const auto& l : m.label) got[l.name] = l.value;
        if (got != labels) continue;
        return family.type == prometheus::MetricType::Histogram
                   ? static_cast<double>(m.histogram.sample_count)
                   : m.counter.value;
      }
    }
    return 0;
  }

  double ScheduleToStartSum() {
    for (const auto& family : metrics_.registry()->Collect()) {
      if (family.name != "weft_activity_schedule_to_start_seconds") continue;
      double sum = 0;
      for (const auto& m : family.metric) sum += m.histogram.sample_sum;
      return sum;
    }
    return -1;
  }

  // Polls the activity's state (timers fire on their own thread) until it is `state`.
  bool WaitForState(const std::string& wf, const std::string& activity_id,
                    const std::string& state) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (Pending(wf)[activity_id].state() == state) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

  bool NoActivityInMatching(absl::Duration wait = absl::Milliseconds(200)) {
    return !matching_.NextEntry(internal::TASK_KIND_ACTIVITY, wait).has_value();
  }

  std::string dir_;
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  FakeMatching matching_;
  Metrics metrics_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<CircuitBreakerRegistry> breakers_;
  std::unique_ptr<HistoryEngine> engine_;
  NamespaceRef ns_{"ns-id", "ns"};
};

TEST_F(EagerActivitiesTest, StartedInTheSameCommitAndReturnedInTheResponse) {
  auto wt = StartAndTakeWorkflowTask("wf");
  auto resp = Complete(wt, {Activity("1"), Activity("2")}, /*slots=*/5);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->activity_tasks_size(), 2);
  for (int i = 0; i < 2; ++i) {
    const PollActivityTaskQueueResponse& t = resp->activity_tasks(i);
    std::string id = std::to_string(i + 1);
    EXPECT_FALSE(t.task_token().empty());
    EXPECT_EQ(t.activity_id(), id);
    EXPECT_EQ(t.activity_type().name(), "A");
    EXPECT_EQ(t.attempt(), 1);
    EXPECT_EQ(t.workflow_namespace(), "ns");
    EXPECT_EQ(t.workflow_execution().workflow_id(), "wf");
    EXPECT_EQ(t.workflow_type().name(), "Wf");
    ASSERT_EQ(t.input().payloads_size(), 1);
    EXPECT_EQ(t.input().payloads(0).data(), "in-" + id);
    EXPECT_EQ(FromProto(t.start_to_close_timeout()), absl::Seconds(10));
    EXPECT_EQ(FromProto(t.started_time()), clock_.Now());
  }
  // Nothing went to matching, and the starts are on disk: a fresh engine on the same store
  // (nothing cached) sees both started for the worker that completed the task.
  EXPECT_TRUE(NoActivityInMatching());
  OpenEngine();
  auto pending = Pending("wf");
  ASSERT_EQ(pending.size(), 2u);
  for (const auto& [id, p] : pending) {
    EXPECT_EQ(p.state(), "STARTED") << id;
    EXPECT_EQ(p.attempt(), 1);
    EXPECT_EQ(p.last_worker_identity(), "worker-1");
  }
  // The worker answers with the returned token as for a polled task.
  RespondActivityTaskCompletedRequest done;
  done.set_task_token(resp->activity_tasks(0).task_token());
  done.set_identity("worker-1");
  done.mutable_result()->add_payloads()->set_data("out");
  ASSERT_TRUE(engine_->RespondActivityTaskCompleted(ns_, done).ok());
  auto events = Events("wf");
  ASSERT_GE(events.size(), 3u);
  const HistoryEvent& started = events[events.size() - 3];
  ASSERT_EQ(started.event_type(), EVENT_TYPE_ACTIVITY_TASK_STARTED);
  EXPECT_EQ(started.activity_task_started_event_attributes().identity(), "worker-1");
  EXPECT_EQ(started.activity_task_started_event_attributes().attempt(), 1);
  EXPECT_EQ(events[events.size() - 2].event_type(), EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
  EXPECT_EQ(events.back().event_type(), EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);

  // Metrics: both counted as attempts, started eagerly, with a schedule-to-start of zero.
  EXPECT_EQ(Metric("weft_eager_activities_total", {{"namespace", "ns"}, {"outcome", "started"}}),
            2);
  EXPECT_EQ(Metric("weft_activity_attempts_total", {{"namespace", "ns"}, {"activity_type", "A"}}),
            2);
  EXPECT_EQ(Metric("weft_activity_schedule_to_start_seconds", {{"namespace", "ns"}}), 2);
  EXPECT_EQ(ScheduleToStartSum(), 0);
}

TEST_F(EagerActivitiesTest, NoMoreThanTheOfferedSlotsTheRestGoThroughMatching) {
  auto wt = StartAndTakeWorkflowTask("slots");
  auto resp =
      Complete(wt, {Activity("1"), Activity("2", /*eager=*/false), Activity("3"), Activity("4")},
               /*slots=*/2);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->activity_tasks_size(), 2);
  // The first ones that asked, in command order; one that did not ask is never eager.
  EXPECT_EQ(resp->activity_tasks(0).activity_id(), "1");
  EXPECT_EQ(resp->activity_tasks(1).activity_id(), "3");
  std::map<int64_t, internal::BacklogTask> dispatched;
  for (int i = 0; i < 2; ++i) {
    auto t = matching_.NextEntry(internal::TASK_KIND_ACTIVITY);
    ASSERT_TRUE(t.has_value()) << i;
    EXPECT_EQ(t->first.name, "q");
    dispatched[t->second.scheduled_event_id()] = t->second;
  }
  EXPECT_TRUE(NoActivityInMatching());
  auto pending = Pending("slots");
  EXPECT_EQ(pending["1"].state(), "STARTED");
  EXPECT_EQ(pending["2"].state(), "SCHEDULED");
  EXPECT_EQ(pending["3"].state(), "STARTED");
  EXPECT_EQ(pending["4"].state(), "SCHEDULED");
  // The ones through matching start as usual.
  for (const auto& [id, task] : dispatched) {
    EXPECT_TRUE(engine_->RecordActivityTaskStarted(ns_, task, "worker-2").ok());
  }
  EXPECT_EQ(Metric("weft_eager_activities_total", {{"namespace", "ns"}, {"outcome", "no_slot"}}),
            1);
}

TEST_F(EagerActivitiesTest, NoSlotsOrNoResponseMeansMatching) {
  auto wt = StartAndTakeWorkflowTask("none");
  auto resp = Complete(wt, {Activity("1")}, /*slots=*/0);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->activity_tasks_size(), 0);
  EXPECT_FALSE(NoActivityInMatching(absl::Seconds(10)));

  // The two-argument call (no response to fill) never starts anything eagerly.
  auto wt2 = StartAndTakeWorkflowTask("none-2");
  RespondWorkflowTaskCompletedRequest req;
  req.set_task_token(wt2.task_token());
  req.set_eager_activity_slots(3);
  *req.add_commands() = Activity("1");
  ASSERT_TRUE(engine_->RespondWorkflowTaskCompleted(ns_, req).ok());
  EXPECT_FALSE(NoActivityInMatching(absl::Seconds(10)));
  EXPECT_EQ(Pending("none-2")["1"].state(), "SCHEDULED");
}

TEST_F(EagerActivitiesTest, OtherTaskQueuesAndRateLimitedQueuesGoThroughMatching) {
  auto wt = StartAndTakeWorkflowTask("queues");
  auto resp = Complete(wt, {Activity("1", true, "elsewhere"), Activity("2", true, "q")}, 5);
  ASSERT_TRUE(resp.ok()) << resp.status();
  // The run's own queue named explicitly is still its own queue.
  ASSERT_EQ(resp->activity_tasks_size(), 1);
  EXPECT_EQ(resp->activity_tasks(0).activity_id(), "2");
  auto other = matching_.NextEntry(internal::TASK_KIND_ACTIVITY);
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->first.name, "elsewhere");

  // Matching owns a rate-limited queue's rate: nothing may skip it.
  matching_.SetRate("q", 5);
  auto wt2 = StartAndTakeWorkflowTask("limited");
  resp = Complete(wt2, {Activity("1"), Activity("2")}, 5);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->activity_tasks_size(), 0);
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(NoActivityInMatching(absl::Seconds(10))) << i;
  EXPECT_EQ(
      Metric("weft_eager_activities_total", {{"namespace", "ns"}, {"outcome", "rate_limited"}}), 2);
  EXPECT_EQ(
      Metric("weft_eager_activities_total", {{"namespace", "ns"}, {"outcome", "other_queue"}}), 1);
}

TEST_F(EagerActivitiesTest, AnActivityTypeItsBreakerHoldsIsHeldNotEager) {
  CircuitBreakerConfig c;
  c.set_enabled(true);
  breakers_->ConfigureNamespace(ns_.id, ns_.name, c);
  SetCircuitBreakerOverrideRequest o;
  o.set_namespace_(ns_.name);
  o.set_activity_type("Charge");
  o.set_override(CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN);
  o.set_reason("bank down");
  ASSERT_TRUE(breakers_->SetCircuitBreakerOverride(o, "ops").ok());

  auto wt = StartAndTakeWorkflowTask("held");
  auto resp = Complete(wt, {Activity("charge", true, "", "Charge"), Activity("other")}, 5);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->activity_tasks_size(), 1);
  EXPECT_EQ(resp->activity_tasks(0).activity_id(), "other");
  auto pending = Pending("held");
  EXPECT_EQ(pending["charge"].state(), "BREAKER_OPEN");
  EXPECT_EQ(pending["other"].state(), "STARTED");
  EXPECT_TRUE(NoActivityInMatching());

  // Once the operator lets it go, the held attempt goes the normal way: through matching.
  o.set_override(CIRCUIT_BREAKER_OVERRIDE_FORCE_CLOSED);
  ASSERT_TRUE(breakers_->SetCircuitBreakerOverride(o, "ops").ok());
  auto t = matching_.NextEntry(internal::TASK_KIND_ACTIVITY);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->second.workflow_id(), "held");
  EXPECT_EQ(t->second.attempt(), 1);
}

TEST_F(EagerActivitiesTest, AStartSurvivesARestartAndTimesOutIntoARetryWhenTheWorkerIsGone) {
  auto wt = StartAndTakeWorkflowTask("lost");
  auto resp = Complete(wt, {Activity("1")}, 1);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->activity_tasks_size(), 1);
  const std::string token = resp->activity_tasks(0).task_token();

  // The server restarts; the worker that took the task never answers.
  OpenEngine();
  EXPECT_EQ(Pending("lost")["1"].state(), "STARTED");
  EXPECT_TRUE(NoActivityInMatching());

  // The heartbeat timeout (5 s) is the first to notice; the attempt is retried after the
  // retry policy's 1 s backoff, through matching, as attempt 2.
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(WaitForState("lost", "1", "BACKOFF"));
  EXPECT_EQ(Pending("lost")["1"].attempt(), 2);
  EXPECT_TRUE(NoActivityInMatching(absl::Milliseconds(100)));
  clock_.Advance(absl::Seconds(1));
  auto retry = matching_.NextEntry(internal::TASK_KIND_ACTIVITY);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->second.attempt(), 2);
  EXPECT_EQ(retry->first.name, "q");

  // The lost worker's late answer is refused; the retry runs normally.
  RespondActivityTaskCompletedRequest late;
  late.set_task_token(token);
  EXPECT_TRUE(absl::IsNotFound(engine_->RespondActivityTaskCompleted(ns_, late)));
  auto started = engine_->RecordActivityTaskStarted(ns_, retry->second, "worker-2");
  ASSERT_TRUE(started.ok()) << started.status();
  RespondActivityTaskCompletedRequest done;
  done.set_task_token(started->task_token());
  ASSERT_TRUE(engine_->RespondActivityTaskCompleted(ns_, done).ok());
  auto events = Events("lost");
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[events.size() - 2].event_type(), EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
}

TEST_F(EagerActivitiesTest, StartToCloseTimesOutAnEagerStartWithoutHeartbeat) {
  auto wt = StartAndTakeWorkflowTask("stc");
  Command c = Activity("1");
  c.mutable_schedule_activity_task_command_attributes()->clear_heartbeat_timeout();
  auto resp = Complete(wt, {c}, 1);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->activity_tasks_size(), 1);
  OpenEngine();
  clock_.Advance(absl::Seconds(9));
  EXPECT_TRUE(NoActivityInMatching(absl::Milliseconds(100)));
  EXPECT_EQ(Pending("stc")["1"].state(), "STARTED");
  clock_.Advance(absl::Seconds(1));  // start-to-close
  ASSERT_TRUE(WaitForState("stc", "1", "BACKOFF"));
  EXPECT_FALSE(Pending("stc")["1"].last_failure().message().empty());
  clock_.Advance(absl::Seconds(1));
  auto retry = matching_.NextEntry(internal::TASK_KIND_ACTIVITY);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->second.attempt(), 2);
}

TEST_F(EagerActivitiesTest, ACompletionThatClosesTheRunStartsNothing) {
  auto wt = StartAndTakeWorkflowTask("closing");
  Command close;
  close.set_command_type(COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  close.mutable_complete_workflow_execution_command_attributes();
  auto resp = Complete(wt, {Activity("1"), close}, 5);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->activity_tasks_size(), 0);
}

}  // namespace
}  // namespace weft::history
