// Unit tests of the history engine's state transitions, on a real store in a temporary
// directory, with matching replaced by a fake that records the tasks it is given.
#include "server/history/history_engine.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>

#include "server/common/proto_time.h"
#include "server/history/testing/engine_test_fixture.h"

namespace weft::history {
namespace {

using namespace api::v1;  // NOLINT: test brevity

using test_support::FakeMatching;

class HistoryEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = test_support::OpenTempStore("weft-history-test", &dir_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    HistoryEngine::Options opts;
    opts.num_shards = 4;
    engine_ = std::make_unique<HistoryEngine>(store_.get(), &matching_, &clock_, nullptr, opts);
    ASSERT_TRUE(engine_->Start().ok());
  }
  void TearDown() override {
    engine_.reset();
    store_.reset();
    test_support::RemoveTempDir(dir_);
  }

  std::string Start(const std::string& id, absl::Duration task_timeout = absl::Seconds(10),
                    absl::Duration run_timeout = absl::ZeroDuration()) {
    StartWorkflowExecutionRequest req;
    req.set_workflow_id(id);
    req.mutable_workflow_type()->set_name("Wf");
    req.mutable_task_queue()->set_name("q");
    *req.mutable_workflow_task_timeout() = ToProto(task_timeout);
    *req.mutable_workflow_run_timeout() = ToProto(run_timeout);
    auto r = engine_->StartWorkflowExecution(ns_, req, nullptr);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->run_id() : "";
  }

  PollWorkflowTaskQueueResponse StartWorkflowTask() {
    auto t = matching_.Next(internal::TASK_KIND_WORKFLOW);
    EXPECT_TRUE(t.has_value());
    if (!t) return {};
    auto r = engine_->RecordWorkflowTaskStarted(ns_, *t, "w");
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : PollWorkflowTaskQueueResponse();
  }

  absl::Status Respond(const PollWorkflowTaskQueueResponse& wt, std::vector<Command> cmds) {
    RespondWorkflowTaskCompletedRequest req;
    req.set_task_token(wt.task_token());
    for (auto& c : cmds) *req.add_commands() = c;
    return engine_->RespondWorkflowTaskCompleted(ns_, req);
  }

  std::vector<EventType> Types(const std::string& id) {
    GetWorkflowExecutionHistoryRequest req;
    req.mutable_execution()->set_workflow_id(id);
    auto r = engine_->GetWorkflowExecutionHistory(ns_, req, absl::Now());
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<EventType> out;
    if (r.ok()) {
      for (const auto& e : r->history().events()) out.push_back(e.event_type());
    }
    return out;
  }

  static Command Activity(const std::string& id) {
    Command c;
    c.set_command_type(COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK);
    auto* a = c.mutable_schedule_activity_task_command_attributes();
    a->set_activity_id(id);
    a->mutable_activity_type()->set_name("A");
    *a->mutable_start_to_close_timeout() = ToProto(absl::Seconds(30));
    return c;
  }

  std::string dir_;
  SystemClock clock_;
  FakeMatching matching_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<HistoryEngine> engine_;
  NamespaceRef ns_{"ns-id", "ns"};
};

TEST_F(HistoryEngineTest, StartWritesEventsAndDispatchesAWorkflowTask) {
  Start("a");
  EXPECT_EQ(Types("a"), (std::vector<EventType>{EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
                                                EVENT_TYPE_WORKFLOW_TASK_SCHEDULED}));
  auto t = matching_.Next(internal::TASK_KIND_WORKFLOW);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->scheduled_event_id(), 2);
  EXPECT_EQ(t->workflow_id(), "a");
  // A second start of the same attempt is refused: the task is already started.
  ASSERT_TRUE(engine_->RecordWorkflowTaskStarted(ns_, *t, "w").ok());
  EXPECT_TRUE(absl::IsNotFound(engine_->RecordWorkflowTaskStarted(ns_, *t, "w").status()));
}

TEST_F(HistoryEngineTest, EventsDuringATaskAreBufferedUntilItCompletes) {
  Start("b");
  auto wt = StartWorkflowTask();
  SignalWorkflowExecutionRequest sig;
  sig.mutable_workflow_execution()->set_workflow_id("b");
  sig.set_signal_name("s");
  ASSERT_TRUE(engine_->SignalWorkflowExecution(ns_, sig).ok());
  // Not in history yet: the worker is deciding.
  EXPECT_EQ(Types("b").size(), 3u);
  ASSERT_TRUE(Respond(wt, {Activity("1")}).ok());
  EXPECT_EQ(Types("b"),
            (std::vector<EventType>{
                EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
                EVENT_TYPE_WORKFLOW_TASK_STARTED, EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
                EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,  // command events first
                EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
                EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,  // so the workflow sees it
            }));
}

TEST_F(HistoryEngineTest, WorkflowTaskTimeoutSchedulesAnotherAttempt) {
  Start("c", absl::Milliseconds(200));
  auto first = StartWorkflowTask();
  auto t = matching_.Next(internal::TASK_KIND_WORKFLOW);  // after the timeout
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->attempt(), 2);
  auto types = Types("c");
  ASSERT_GE(types.size(), 5u);
  EXPECT_EQ(types[3], EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
  // The late answer of the first attempt is refused.
  EXPECT_TRUE(absl::IsNotFound(Respond(first, {})));
}

TEST_F(HistoryEngineTest, RunTimeoutClosesTheRun) {
  Start("d", absl::Seconds(10), absl::Milliseconds(200));
  GetWorkflowExecutionHistoryRequest req;
  req.mutable_execution()->set_workflow_id("d");
  req.set_wait_new_event(true);
  req.set_history_event_filter_type(HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
  auto r = engine_->GetWorkflowExecutionHistory(ns_, req, absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->history().events_size(), 1);
  EXPECT_EQ(r->history().events(0).event_type(), EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT);
  auto d = engine_->DescribeWorkflowExecution(ns_, {});
  EXPECT_FALSE(d.ok());  // no workflow id: nothing to describe
}

TEST_F(HistoryEngineTest, CancelOfAnUnstartedActivityIsImmediate) {
  Start("e");
  auto wt = StartWorkflowTask();
  ASSERT_TRUE(Respond(wt, {Activity("1")}).ok());
  ASSERT_TRUE(matching_.Next(internal::TASK_KIND_ACTIVITY).has_value());
  // No new workflow task yet; force one with a signal.
  SignalWorkflowExecutionRequest sig;
  sig.mutable_workflow_execution()->set_workflow_id("e");
  sig.set_signal_name("s");
  ASSERT_TRUE(engine_->SignalWorkflowExecution(ns_, sig).ok());
  wt = StartWorkflowTask();
  Command cancel;
  cancel.set_command_type(COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK);
  cancel.mutable_request_cancel_activity_task_command_attributes()->set_scheduled_event_id(5);
  ASSERT_TRUE(Respond(wt, {cancel}).ok());
  auto types = Types("e");
  ASSERT_GE(types.size(), 4u);
  EXPECT_EQ(types[types.size() - 3], EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED);
  EXPECT_EQ(types[types.size() - 2], EVENT_TYPE_ACTIVITY_TASK_CANCELED);
  EXPECT_EQ(types[types.size() - 1], EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  auto d = engine_->DescribeWorkflowExecution(ns_, [] {
    WorkflowExecution e;
    e.set_workflow_id("e");
    return e;
  }());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->pending_activities_size(), 0);
}

TEST_F(HistoryEngineTest, InvalidCommandsFailTheTaskAndKeepTheRun) {
  Start("f");
  auto wt = StartWorkflowTask();
  absl::Status s = Respond(wt, {Activity("1"), Activity("1")});
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(s.message().find("already in use"), std::string::npos) << s;
  auto types = Types("f");
  EXPECT_EQ(types[3], EVENT_TYPE_WORKFLOW_TASK_FAILED);
  EXPECT_EQ(types.back(), EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  // Nothing of the refused commands happened.
  for (auto t : types) EXPECT_NE(t, EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
}

TEST_F(HistoryEngineTest, HeartbeatTimeoutRetriesAndHandsOverDetails) {
  Start("g");
  auto wt = StartWorkflowTask();
  Command c = Activity("1");
  auto* a = c.mutable_schedule_activity_task_command_attributes();
  *a->mutable_heartbeat_timeout() = ToProto(absl::Milliseconds(200));
  *a->mutable_retry_policy()->mutable_initial_interval() = ToProto(absl::Milliseconds(10));
  ASSERT_TRUE(Respond(wt, {c}).ok());
  auto t = matching_.Next(internal::TASK_KIND_ACTIVITY);
  ASSERT_TRUE(t.has_value());
  auto started = engine_->RecordActivityTaskStarted(ns_, *t, "w");
  ASSERT_TRUE(started.ok());
  RecordActivityTaskHeartbeatRequest hb;
  hb.set_task_token(started->task_token());
  hb.mutable_details()->add_payloads()->set_data("42");
  ASSERT_TRUE(engine_->RecordActivityTaskHeartbeat(ns_, hb).ok());
  // No more heartbeats: attempt 2 comes with the details of attempt 1.
  auto t2 = matching_.Next(internal::TASK_KIND_ACTIVITY);
  ASSERT_TRUE(t2.has_value());
  EXPECT_EQ(t2->attempt(), 2);
  auto started2 = engine_->RecordActivityTaskStarted(ns_, *t2, "w");
  ASSERT_TRUE(started2.ok());
  EXPECT_EQ(started2->heartbeat_details().payloads(0).data(), "42");
}

}  // namespace
}  // namespace weft::history

namespace weft::history {
namespace {

TEST_F(HistoryEngineTest, HistoryLimitsSuggestThenTerminate) {
  engine_.reset();
  HistoryEngine::Options opts;
  opts.num_shards = 4;
  opts.suggest_continue_as_new_events = 5;
  opts.history_limit_events = 12;
  engine_ = std::make_unique<HistoryEngine>(store_.get(), &matching_, &clock_, nullptr, opts);
  ASSERT_TRUE(engine_->Start().ok());

  Start("big");
  auto wt = StartWorkflowTask();
  EXPECT_FALSE(wt.suggest_continue_as_new());  // 3 events
  EXPECT_GT(wt.history_size_bytes(), 0);
  ASSERT_TRUE(Respond(wt, {Activity("1"), Activity("2")}).ok());  // 6 events
  api::v1::SignalWorkflowExecutionRequest sig;
  sig.mutable_workflow_execution()->set_workflow_id("big");
  sig.set_signal_name("s");
  ASSERT_TRUE(engine_->SignalWorkflowExecution(ns_, sig).ok());  // 8 events
  wt = StartWorkflowTask();                                      // 9 events
  EXPECT_TRUE(wt.suggest_continue_as_new());
  ASSERT_TRUE(Respond(wt, {Activity("3"), Activity("4"), Activity("5")}).ok());  // 13 > 12
  auto types = Types("big");
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.back(), api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  api::v1::WorkflowExecution e;
  e.set_workflow_id("big");
  auto d = engine_->DescribeWorkflowExecution(ns_, e);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->workflow_execution_info().status(), api::v1::WORKFLOW_EXECUTION_STATUS_TERMINATED);
}

TEST_F(HistoryEngineTest, RunPriorityGoesWithItsTasksUnlessAnActivitySetsItsOwn) {
  StartWorkflowExecutionRequest req;
  req.set_workflow_id("prio");
  req.mutable_workflow_type()->set_name("Wf");
  req.mutable_task_queue()->set_name("q");
  req.set_priority(1);
  ASSERT_TRUE(engine_->StartWorkflowExecution(ns_, req, nullptr).ok());
  auto t = matching_.Next(internal::TASK_KIND_WORKFLOW);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->priority(), 1);
  auto wt = engine_->RecordWorkflowTaskStarted(ns_, *t, "w");
  ASSERT_TRUE(wt.ok()) << wt.status();
  EXPECT_EQ(wt->history().events(0).workflow_execution_started_event_attributes().priority(), 1);
  Command own = Activity("own");
  own.mutable_schedule_activity_task_command_attributes()->set_priority(4);
  ASSERT_TRUE(Respond(*wt, {Activity("inherits"), own}).ok());
  std::map<int64_t, int> priority_by_event;
  for (int i = 0; i < 2; ++i) {
    auto a = matching_.Next(internal::TASK_KIND_ACTIVITY);
    ASSERT_TRUE(a.has_value());
    priority_by_event[a->scheduled_event_id()] = a->priority();
  }
  // Events 5 and 6: the two ActivityTaskScheduled events, in command order.
  EXPECT_EQ(priority_by_event, (std::map<int64_t, int>{{5, 1}, {6, 4}}));
}

TEST_F(HistoryEngineTest, UnsetPriorityIsTheDefaultThree) {
  Start("default-priority");
  auto t = matching_.Next(internal::TASK_KIND_WORKFLOW);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->priority(), 3);
}

TEST_F(HistoryEngineTest, ActivityPriorityOutOfRangeFailsTheWorkflowTaskAsABadCommand) {
  Start("bad-priority");
  auto wt = StartWorkflowTask();
  Command c = Activity("x");
  c.mutable_schedule_activity_task_command_attributes()->set_priority(9);
  absl::Status s = Respond(wt, {c});
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(s.message().find("priority 9 is out of range"), std::string::npos) << s;
  GetWorkflowExecutionHistoryRequest req;
  req.mutable_execution()->set_workflow_id("bad-priority");
  auto h = engine_->GetWorkflowExecutionHistory(ns_, req, absl::Now());
  ASSERT_TRUE(h.ok()) << h.status();
  bool failed = false;
  for (const auto& e : h->history().events()) {
    if (e.event_type() != EVENT_TYPE_WORKFLOW_TASK_FAILED) continue;
    failed = true;
    EXPECT_EQ(e.workflow_task_failed_event_attributes().cause(),
              WORKFLOW_TASK_FAILED_CAUSE_BAD_COMMAND);
    EXPECT_NE(e.workflow_task_failed_event_attributes().failure().message().find("priority"),
              std::string::npos);
  }
  EXPECT_TRUE(failed);
}

}  // namespace
}  // namespace weft::history

namespace weft::history {
namespace {

// ActivityTaskStarted is appended when the attempt closes but carries the time it started,
// so that a timeline of the history splits queue wait from execution.
TEST(ActivityStartedEventTimeTest, StartedEventIsDatedWhenTheAttemptStarted) {
  char tmpl[] = "/tmp/weft-history-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  const absl::Time t0 = clock.Now();
  FakeMatching matching;
  NamespaceRef ns{"ns-id", "ns"};
  {
    auto store = storage::Store::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    HistoryEngine::Options opts;
    opts.num_shards = 1;
    HistoryEngine engine(store->get(), &matching, &clock, nullptr, opts);
    ASSERT_TRUE(engine.Start().ok());
    StartWorkflowExecutionRequest start;
    start.set_workflow_id("timed");
    start.mutable_workflow_type()->set_name("Wf");
    start.mutable_task_queue()->set_name("q");
    ASSERT_TRUE(engine.StartWorkflowExecution(ns, start, nullptr).ok());
    auto wt_task = matching.Next(internal::TASK_KIND_WORKFLOW);
    ASSERT_TRUE(wt_task.has_value());
    auto wt = engine.RecordWorkflowTaskStarted(ns, *wt_task, "w");
    ASSERT_TRUE(wt.ok()) << wt.status();
    RespondWorkflowTaskCompletedRequest respond;
    respond.set_task_token(wt->task_token());
    Command* c = respond.add_commands();
    c->set_command_type(COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK);
    auto* a = c->mutable_schedule_activity_task_command_attributes();
    a->set_activity_id("1");
    a->mutable_activity_type()->set_name("A");
    *a->mutable_start_to_close_timeout() = ToProto(absl::Seconds(30));
    ASSERT_TRUE(engine.RespondWorkflowTaskCompleted(ns, respond).ok());

    clock.Advance(absl::Seconds(2));  // waits 2 s in the queue
    auto act_task = matching.Next(internal::TASK_KIND_ACTIVITY);
    ASSERT_TRUE(act_task.has_value());
    auto act = engine.RecordActivityTaskStarted(ns, *act_task, "w");
    ASSERT_TRUE(act.ok()) << act.status();
    clock.Advance(absl::Seconds(5));  // runs 5 s
    RespondActivityTaskCompletedRequest done;
    done.set_task_token(act->task_token());
    done.set_identity("w");
    ASSERT_TRUE(engine.RespondActivityTaskCompleted(ns, done).ok());

    GetWorkflowExecutionHistoryRequest req;
    req.mutable_execution()->set_workflow_id("timed");
    auto h = engine.GetWorkflowExecutionHistory(ns, req, absl::Now());
    ASSERT_TRUE(h.ok()) << h.status();
    std::map<EventType, absl::Time> times;
    for (const auto& e : h->history().events()) times[e.event_type()] = FromProto(e.event_time());
    ASSERT_TRUE(times.contains(EVENT_TYPE_ACTIVITY_TASK_STARTED));
    ASSERT_TRUE(times.contains(EVENT_TYPE_ACTIVITY_TASK_COMPLETED));
    EXPECT_EQ(times[EVENT_TYPE_ACTIVITY_TASK_SCHEDULED], t0);
    EXPECT_EQ(times[EVENT_TYPE_ACTIVITY_TASK_STARTED], t0 + absl::Seconds(2));
    EXPECT_EQ(times[EVENT_TYPE_ACTIVITY_TASK_COMPLETED], t0 + absl::Seconds(7));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace weft::history
