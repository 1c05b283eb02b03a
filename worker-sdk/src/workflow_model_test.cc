// Replay tests of the workflow model beyond activities and timers: queries, continue-as-new,
// GetVersion and MutableSideEffect markers, activity cancellation and cancellation scopes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "history_builder_for_test.h"
#include "replay_test_support.h"
#include "replayer.h"
#include "weft/errors.h"
#include "weft/workflow.h"
#include "weft/workflow_definition.h"

namespace weft {
namespace {

using api::v1::Command;
using ::testing::HasSubstr;
using testing::HistoryBuilder;

using testing::Describe;
using testing::Execution;
using testing::Replay;

QueryResult Query(const WorkflowDefinition& def, const HistoryBuilder& h, const std::string& type,
                  api::v1::Payloads args = {}) {
  api::v1::WorkflowQuery q;
  q.set_query_type(type);
  *q.mutable_query_args() = std::move(args);
  return Replayer(def).Query(h.history(), Execution(), "default", q);
}

// ---- queries ----

// Counts `increment` signals until `done`; answers `count` and `plus` (count + argument).
Workflow<int> Counter(WorkflowContext& ctx) {
  // Shared, so that a query after the run closed (the coroutine's locals are gone) still
  // reads it.
  auto count = std::make_shared<int>(0);
  ctx.SetQueryHandler("count", [count] { return *count; });
  ctx.SetQueryHandler("plus", [count](int n) { return *count + n; });
  ctx.SetQueryHandler("bad", [&ctx] {
    ctx.NewTimer(std::chrono::seconds(1));
    return 0;
  });
  auto& increments = ctx.GetSignalChannel("increment");
  auto done = ctx.GetSignalChannel("done").Receive();
  while (true) {
    auto next = increments.Receive<int>();
    size_t first = co_await ctx.WhenAny(next, done);
    if (first == 1) break;
    *count += co_await next;
  }
  co_return *count;
}

const WorkflowDefinition& CounterDef() {
  static const WorkflowDefinition def = WorkflowDefinition::FromFunction("Counter", Counter);
  return def;
}

TEST(QueryTest, HandlerSeesStateAfterTheReplayedEvents) {
  HistoryBuilder h("Counter", api::v1::Payloads());
  h.CompleteTask();
  h.Signaled("increment", ToPayloads(2));
  h.Signaled("increment", ToPayloads(3));
  h.CompleteTask();
  h.Signaled("increment", ToPayloads(10));  // no task has run for it yet
  h.StartTask();                            // ... and one is in flight

  QueryResult r = Query(CounterDef(), h, "count");
  ASSERT_TRUE(r.answered) << r.error;
  EXPECT_EQ(FromFirstPayload<int>(r.result), 15);

  r = Query(CounterDef(), h, "plus", ToPayloads(100));
  ASSERT_TRUE(r.answered) << r.error;
  EXPECT_EQ(FromFirstPayload<int>(r.result), 115);
}

TEST(QueryTest, NoTaskInFlightStillCountsTheLastEvents) {
  HistoryBuilder h("Counter", api::v1::Payloads());
  h.CompleteTask();
  h.Signaled("increment", ToPayloads(4));
  QueryResult r = Query(CounterDef(), h, "count");
  ASSERT_TRUE(r.answered) << r.error;
  EXPECT_EQ(FromFirstPayload<int>(r.result), 4);
}

TEST(QueryTest, FirstTaskNotRunYetRegistersHandlers) {
  HistoryBuilder h("Counter", api::v1::Payloads());
  h.Signaled("increment", ToPayloads(1));  // signal-with-start
  h.StartTask();
  QueryResult r = Query(CounterDef(), h, "count");
  ASSERT_TRUE(r.answered) << r.error;
  EXPECT_EQ(FromFirstPayload<int>(r.result), 1);
}

TEST(QueryTest, ClosedRunCanBeQueried) {
  HistoryBuilder h("Counter", api::v1::Payloads());
  h.CompleteTask();
  h.Signaled("increment", ToPayloads(7));
  h.Signaled("done", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  h.Completed(wtc, ToPayload(7));
  QueryResult r = Query(CounterDef(), h, "count");
  ASSERT_TRUE(r.answered) << r.error;
  EXPECT_EQ(FromFirstPayload<int>(r.result), 7);
}

TEST(QueryTest, UnknownTypeBadArgumentsAndCommandsFailTheQuery) {
  HistoryBuilder h("Counter", api::v1::Payloads());
  h.StartTask();
  QueryResult r = Query(CounterDef(), h, "nope");
  EXPECT_FALSE(r.answered);
  EXPECT_EQ(r.error, "unknown query type 'nope' (known: bad, count, plus)");

  r = Query(CounterDef(), h, "plus", ToPayloads(std::string("x")));
  EXPECT_FALSE(r.answered);
  EXPECT_THAT(r.error, HasSubstr("argument 1"));

  r = Query(CounterDef(), h, "bad");
  EXPECT_FALSE(r.answered);
  EXPECT_THAT(r.error, HasSubstr("must not issue commands"));
}

TEST(QueryTest, ReplayFailureFailsTheQuery) {
  HistoryBuilder h("Counter", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  h.TimerStarted(wtc, "1");  // Counter never starts a timer in its first task
  QueryResult r = Query(CounterDef(), h, "count");
  EXPECT_FALSE(r.answered);
  EXPECT_THAT(r.error, HasSubstr("non-deterministic"));
}

// ---- continue-as-new ----

struct CounterInput {
  int count = 0;
  int until = 3;
};
void from_json(const nlohmann::json& j, CounterInput& in) {
  if (j.is_null()) return;
  in.count = j.value("count", 0);
  in.until = j.value("until", 3);
}
void to_json(nlohmann::json& j, const CounterInput& in) {
  j = {{"count", in.count}, {"until", in.until}};
}

Workflow<int> Chain(WorkflowContext& ctx, CounterInput in) {
  if (in.count >= in.until) co_return in.count;
  co_await ctx.Sleep(std::chrono::milliseconds(100));
  try {
    ctx.ContinueAsNew(CounterInput{in.count + 1, in.until});
  } catch (const std::exception&) {
    co_return -1;  // must not be reached: ContinueAsNewError is not a std::exception
  }
}

TEST(ContinueAsNewTest, IssuesTheCommandWithTheNewInputAsLastCommand) {
  auto def = WorkflowDefinition::FromFunction("Chain", Chain);
  HistoryBuilder h("Chain", ToPayloads(CounterInput{1, 3}));
  int64_t wtc = h.CompleteTask();
  h.TimerStarted(wtc, "1");
  h.TimerFired("1");
  h.StartTask();
  ReplayResult r = Replay(def, h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  const Command& c = r.commands[0];
  EXPECT_EQ(c.command_type(), api::v1::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
  const auto& a = c.continue_as_new_workflow_execution_command_attributes();
  EXPECT_TRUE(a.workflow_type().name().empty());  // same type and queue as now
  EXPECT_TRUE(a.task_queue().name().empty());
  CounterInput next = FromFirstPayload<CounterInput>(a.input());
  EXPECT_EQ(next.count, 2);
  EXPECT_EQ(next.until, 3);

  // The closed run replays cleanly against its ContinuedAsNew event.
  h = HistoryBuilder("Chain", ToPayloads(CounterInput{1, 3}));
  wtc = h.CompleteTask();
  h.TimerStarted(wtc, "1");
  h.TimerFired("1");
  wtc = h.CompleteTask();
  h.ContinuedAsNew(wtc, "run-2", ToPayloads(CounterInput{2, 3}));
  r = Replay(def, h);
  EXPECT_FALSE(r.task_failed) << r.message;
  EXPECT_TRUE(r.commands.empty()) << Describe(r);

  // The last run of the chain completes.
  h = HistoryBuilder("Chain", ToPayloads(CounterInput{3, 3}));
  h.StartTask();
  r = Replay(def, h);
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  EXPECT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
}

TEST(ContinueAsNewTest, OptionsChangeTypeQueueAndTimeouts) {
  auto moving = [](WorkflowContext& ctx) -> Workflow<void> {
    ctx.ContinueAsNewWithOptions({.workflow_type = "Other",
                                  .task_queue = "elsewhere",
                                  .run_timeout = std::chrono::minutes(5)},
                                 std::string("x"));
    co_return;
  };
  auto def = WorkflowDefinition::FromFunction("M", +moving);
  HistoryBuilder h("M", api::v1::Payloads());
  h.StartTask();
  ReplayResult r = Replay(def, h);
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  const auto& a = r.commands[0].continue_as_new_workflow_execution_command_attributes();
  EXPECT_EQ(a.workflow_type().name(), "Other");
  EXPECT_EQ(a.task_queue().name(), "elsewhere");
  EXPECT_EQ(a.workflow_run_timeout().seconds(), 300);
  EXPECT_FALSE(a.has_workflow_task_timeout());
  EXPECT_EQ(FromFirstPayload<std::string>(a.input()), "x");
}

// ---- GetVersion ----

// Version 1 added a "Check" activity before "Pay"; the default version only pays.
Workflow<std::string> Versioned(WorkflowContext& ctx) {
  int v = ctx.GetVersion("add-check", kDefaultVersion, 1);
  int again = ctx.GetVersion("add-check", kDefaultVersion, 1);  // cached, no second marker
  if (again != v) throw ApplicationError("GetVersion changed within a run");
  std::string out;
  if (v == 1) out += co_await ctx.ExecuteActivity<std::string>("Check", {});
  out += co_await ctx.ExecuteActivity<std::string>("Pay", {});
  co_return "v" + std::to_string(v) + ":" + out;
}

const WorkflowDefinition& VersionedDef() {
  static const WorkflowDefinition def = WorkflowDefinition::FromFunction("Versioned", Versioned);
  return def;
}

TEST(GetVersionTest, NewRunRecordsTheMarkerAndTakesTheNewPath) {
  HistoryBuilder h("Versioned", api::v1::Payloads());
  h.StartTask();
  ReplayResult r = Replay(VersionedDef(), h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 2u) << Describe(r);
  EXPECT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_RECORD_MARKER);
  const auto& m = r.commands[0].record_marker_command_attributes();
  EXPECT_EQ(m.marker_name(), "Version");
  EXPECT_EQ(FromFirstPayload<std::string>(m.details().at("change_id")), "add-check");
  EXPECT_EQ(FromFirstPayload<int>(m.details().at("version")), 1);
  EXPECT_EQ(r.commands[1].schedule_activity_task_command_attributes().activity_type().name(),
            "Check");
}

TEST(GetVersionTest, ReplayWithTheMarkerKeepsTheNewPath) {
  HistoryBuilder h("Versioned", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  h.VersionMarker(wtc, "add-check", 1);
  int64_t check = h.ActivityScheduled(wtc, "1", "Check");
  h.ActivityCompleted(check, ToPayload(std::string("checked,")));
  wtc = h.CompleteTask();
  int64_t pay = h.ActivityScheduled(wtc, "2", "Pay");
  h.ActivityCompleted(pay, ToPayload(std::string("paid")));
  h.StartTask();
  ReplayResult r = Replay(VersionedDef(), h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  EXPECT_EQ(FromFirstPayload<std::string>(
                r.commands[0].complete_workflow_execution_command_attributes().result()),
            "v1:checked,paid");
}

TEST(GetVersionTest, RunStartedBeforeTheChangeKeepsTheOldPath) {
  // Written by the old code (no GetVersion): only Pay, no marker.
  HistoryBuilder h("Versioned", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  int64_t pay = h.ActivityScheduled(wtc, "1", "Pay");
  h.ActivityCompleted(pay, ToPayload(std::string("paid")));
  h.StartTask();
  ReplayResult r = Replay(VersionedDef(), h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  EXPECT_EQ(FromFirstPayload<std::string>(
                r.commands[0].complete_workflow_execution_command_attributes().result()),
            "v-1:paid");
}

TEST(GetVersionTest, UnsupportedVersionFailsTheTask) {
  auto only_new = [](WorkflowContext& ctx) -> Workflow<int> {
    co_return ctx.GetVersion("add-check", 1, 1);
  };
  auto def = WorkflowDefinition::FromFunction("Versioned", +only_new);
  HistoryBuilder h("Versioned", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  h.ActivityScheduled(wtc, "1", "Pay");
  h.StartTask();
  ReplayResult r = Replay(def, h);
  ASSERT_TRUE(r.task_failed) << Describe(r);
  EXPECT_THAT(r.message, HasSubstr("does not support version -1 of change \"add-check\""));
}

TEST(GetVersionTest, MarkerOfARemovedGetVersionCallIsSkipped) {
  // All runs moved to version 1, so the code dropped the GetVersion call and the old path.
  auto cleaned = [](WorkflowContext& ctx) -> Workflow<std::string> {
    std::string a = co_await ctx.ExecuteActivity<std::string>("Check", {});
    co_return a;
  };
  auto def = WorkflowDefinition::FromFunction("Versioned", +cleaned);
  HistoryBuilder h("Versioned", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  h.VersionMarker(wtc, "add-check", 1);
  int64_t check = h.ActivityScheduled(wtc, "1", "Check");
  h.ActivityCompleted(check, ToPayload(std::string("ok")));
  h.StartTask();
  ReplayResult r = Replay(def, h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  EXPECT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
}

// ---- MutableSideEffect ----

TEST(MutableSideEffectTest, RecordsOnlyChangesAndReplaysRecordedValues) {
  auto values = std::make_shared<std::vector<int>>(std::vector<int>{5, 5, 6});
  auto calls = std::make_shared<int>(0);
  auto fn = [values, calls](WorkflowContext& ctx) -> Workflow<std::string> {
    std::string seen;
    for (int i = 0; i < 3; ++i) {
      int v = ctx.MutableSideEffect<int>("limit", [&] { return (*values)[(*calls)++]; });
      seen += std::to_string(v);
    }
    co_return seen;
  };
  auto def = WorkflowDefinition::FromFunction("M", fn);
  HistoryBuilder h("M", api::v1::Payloads());
  h.StartTask();
  ReplayResult r = Replay(def, h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 3u) << Describe(r);  // two markers (5, then 6) + complete
  EXPECT_EQ(r.commands[0].record_marker_command_attributes().marker_name(), "MutableSideEffect");
  EXPECT_EQ(
      FromFirstPayload<int>(r.commands[0].record_marker_command_attributes().details().at("data")),
      5);
  EXPECT_EQ(
      FromFirstPayload<int>(r.commands[1].record_marker_command_attributes().details().at("data")),
      6);
  EXPECT_EQ(FromFirstPayload<std::string>(
                r.commands[2].complete_workflow_execution_command_attributes().result()),
            "556");

  // Replay returns the recorded values without calling fn.
  *calls = 0;
  *values = {0, 0, 0};
  HistoryBuilder closed("M", api::v1::Payloads());
  int64_t wtc = closed.CompleteTask();
  closed.MutableSideEffectMarker(wtc, "limit", ToPayload(5));
  closed.MutableSideEffectMarker(wtc, "limit", ToPayload(6));
  closed.Completed(wtc, ToPayload(std::string("556")));
  r = Replay(def, closed);
  EXPECT_FALSE(r.task_failed) << r.message;
  EXPECT_EQ(*calls, 0);
}

// ---- activity cancellation ----

// Starts an activity; a `stop` signal cancels it. Returns how the activity ended.
Workflow<std::string> StoppableActivity(WorkflowContext& ctx) {
  ActivityFuture<std::string> work =
      ctx.ExecuteActivity<std::string>("Work", {.start_to_close = std::chrono::minutes(1)});
  auto stop = ctx.GetSignalChannel("stop").Receive();
  size_t first = co_await ctx.WhenAny(work, stop);
  if (first == 1) work.Cancel();
  try {
    co_return "done " + co_await work;
  } catch (const CanceledError& e) {
    const auto* activity_error = dynamic_cast<const ActivityError*>(&e);
    co_return std::string("canceled ") +
        (activity_error != nullptr ? activity_error->activity_type() : "?");
  }
}

const WorkflowDefinition& StoppableDef() {
  static const WorkflowDefinition def =
      WorkflowDefinition::FromFunction("Stoppable", StoppableActivity);
  return def;
}

TEST(ActivityCancelTest, CancelSendsRequestCancelWithTheScheduledEventId) {
  HistoryBuilder h("Stoppable", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  int64_t scheduled = h.ActivityScheduled(wtc, "1", "Work");
  h.Signaled("stop", api::v1::Payloads());
  h.StartTask();
  ReplayResult r = Replay(StoppableDef(), h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);  // waits for the outcome
  EXPECT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK);
  EXPECT_EQ(r.commands[0].request_cancel_activity_task_command_attributes().scheduled_event_id(),
            scheduled);
}

TEST(ActivityCancelTest, ActivityTaskCanceledResolvesWithActivityCanceledError) {
  HistoryBuilder h("Stoppable", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  int64_t scheduled = h.ActivityScheduled(wtc, "1", "Work");
  h.Signaled("stop", api::v1::Payloads());
  wtc = h.CompleteTask();
  h.ActivityCancelRequested(wtc, scheduled);
  h.ActivityCanceled(scheduled);
  h.StartTask();
  ReplayResult r = Replay(StoppableDef(), h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  EXPECT_EQ(FromFirstPayload<std::string>(
                r.commands[0].complete_workflow_execution_command_attributes().result()),
            "canceled Work");
}

TEST(ActivityCancelTest, CompletionThatWonTheRaceIsKept) {
  HistoryBuilder h("Stoppable", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  int64_t scheduled = h.ActivityScheduled(wtc, "1", "Work");
  h.Signaled("stop", api::v1::Payloads());
  wtc = h.CompleteTask();
  h.ActivityCancelRequested(wtc, scheduled);
  h.ActivityCompleted(scheduled, ToPayload(std::string("anyway")));
  h.StartTask();
  ReplayResult r = Replay(StoppableDef(), h);
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  EXPECT_EQ(FromFirstPayload<std::string>(
                r.commands[0].complete_workflow_execution_command_attributes().result()),
            "done anyway");
}

Workflow<std::string> CancelBeforeSent(WorkflowContext& ctx) {
  auto dropped = ctx.ExecuteActivity<std::string>("Dropped", {});
  dropped.Cancel();
  std::string how;
  try {
    co_await dropped;
    how = "ran";
  } catch (const ActivityCanceledError&) {
    how = "canceled";
  }
  std::string kept = co_await ctx.ExecuteActivity<std::string>("Kept", {});
  co_return how + "," + kept;
}

TEST(ActivityCancelTest, CancelBeforeTheCommandWasSentDropsIt) {
  auto def = WorkflowDefinition::FromFunction("C", CancelBeforeSent);
  HistoryBuilder h("C", api::v1::Payloads());
  h.StartTask();
  ReplayResult r = Replay(def, h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  const auto& a = r.commands[0].schedule_activity_task_command_attributes();
  EXPECT_EQ(a.activity_type().name(), "Kept");
  EXPECT_EQ(a.activity_id(), "2");

  // Replay of that task: history has no event for the dropped activity.
  h = HistoryBuilder("C", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  int64_t kept = h.ActivityScheduled(wtc, "2", "Kept");
  h.ActivityCompleted(kept, ToPayload(std::string("k")));
  h.StartTask();
  r = Replay(def, h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  EXPECT_EQ(FromFirstPayload<std::string>(
                r.commands[0].complete_workflow_execution_command_attributes().result()),
            "canceled,k");
}

TEST(ActivityCancelTest, UnmatchedScheduleThatIsNotCanceledIsStillNonDeterministic) {
  auto def = WorkflowDefinition::FromFunction("C", CancelBeforeSent);
  HistoryBuilder h("C", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  h.ActivityScheduled(wtc, "1", "Other");
  h.StartTask();
  ReplayResult r = Replay(def, h);
  ASSERT_TRUE(r.task_failed) << Describe(r);
  EXPECT_THAT(r.message, HasSubstr("history has ActivityTaskScheduled(activity_id=1, type=Other)"));
}

TEST(ActivityCancelTest, TryCancelResolvesAtOnce) {
  auto fn = [](WorkflowContext& ctx) -> Workflow<std::string> {
    auto work = ctx.ExecuteActivity<std::string>(
        "Work", {.cancellation_type = ActivityCancellationType::kTryCancel});
    co_await ctx.Sleep(std::chrono::seconds(1));
    work.Cancel();
    try {
      co_await work;
    } catch (const CanceledError&) {
      co_return "canceled";
    }
    co_return "done";
  };
  auto def = WorkflowDefinition::FromFunction("T", +fn);
  HistoryBuilder h("T", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  h.ActivityScheduled(wtc, "1", "Work");
  h.TimerStarted(wtc, "2");
  h.TimerFired("2");
  h.StartTask();
  ReplayResult r = Replay(def, h);
  ASSERT_EQ(r.commands.size(), 2u) << Describe(r);
  EXPECT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK);
  EXPECT_EQ(FromFirstPayload<std::string>(
                r.commands[1].complete_workflow_execution_command_attributes().result()),
            "canceled");
}

// ---- cancellation scopes ----

TEST(CancellationScopeTest, CancelingAScopeCancelsOnlyWhatStartedInIt) {
  auto fn = [](WorkflowContext& ctx) -> Workflow<std::string> {
    CancellationScope scope = ctx.NewCancellationScope();
    CancellationScope inner = scope.context().NewCancellationScope();
    auto in_scope = scope.context().ExecuteActivity<int>("InScope", {});
    auto inner_timer = inner.context().NewTimer(std::chrono::hours(1));
    auto outside = ctx.NewTimer(std::chrono::hours(2));
    co_await ctx.Sleep(std::chrono::seconds(1));
    scope.Cancel();
    std::string out;
    try {
      co_await inner_timer;
    } catch (const CanceledError&) {
      out += "timer canceled;";
    }
    if (inner.IsCanceled() && scope.context().IsCanceled() && !ctx.IsCanceled()) {
      out += "inner canceled;";
    }
    // Starting something in a canceled scope fails without a command.
    try {
      co_await scope.context().ExecuteActivity<int>("TooLate", {});
    } catch (const CanceledError&) {
      out += "late refused;";
    }
    co_return out;
  };
  auto def = WorkflowDefinition::FromFunction("S", +fn);
  HistoryBuilder h("S", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  int64_t scheduled = h.ActivityScheduled(wtc, "1", "InScope");
  h.TimerStarted(wtc, "2");
  h.TimerStarted(wtc, "3");
  h.TimerStarted(wtc, "4");
  h.TimerFired("4");
  h.StartTask();
  ReplayResult r = Replay(def, h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 3u) << Describe(r);
  EXPECT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK);
  EXPECT_EQ(r.commands[0].request_cancel_activity_task_command_attributes().scheduled_event_id(),
            scheduled);
  EXPECT_EQ(r.commands[1].command_type(), api::v1::COMMAND_TYPE_CANCEL_TIMER);
  EXPECT_EQ(r.commands[1].cancel_timer_command_attributes().timer_id(), "2");  // not "3"
  EXPECT_EQ(r.commands[2].command_type(), api::v1::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  EXPECT_EQ(FromFirstPayload<std::string>(
                r.commands[2].complete_workflow_execution_command_attributes().result()),
            "timer canceled;inner canceled;late refused;");
}

// Books, and on cancel compensates in a detached scope before accepting the cancel.
Workflow<void> Compensating(WorkflowContext& ctx) {
  co_await ctx.ExecuteActivity<void>("Book", {});
  bool canceled = false;
  try {
    co_await ctx.Sleep(std::chrono::hours(1));
  } catch (const CanceledError&) {
    canceled = true;  // C++ allows no co_await in a handler: clean up below
  }
  if (canceled) {
    CancellationScope cleanup = ctx.NewDetachedCancellationScope();
    co_await cleanup.context().ExecuteActivity<void>("Unbook", {});
    throw CanceledError("canceled after unbooking", ToPayloads(std::string("unbooked")));
  }
}

TEST(CancellationScopeTest, WorkflowCancelCancelsRootButDetachedScopeRunsCleanup) {
  auto def = WorkflowDefinition::FromFunction("Comp", Compensating);
  HistoryBuilder h("Comp", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  int64_t book = h.ActivityScheduled(wtc, "1", "Book");
  h.ActivityCompleted(book, api::v1::Payload());
  wtc = h.CompleteTask();
  h.TimerStarted(wtc, "2");
  h.CancelRequested();
  h.StartTask();
  ReplayResult r = Replay(def, h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 2u) << Describe(r);
  EXPECT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_CANCEL_TIMER);
  EXPECT_EQ(r.commands[1].command_type(), api::v1::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK);
  EXPECT_EQ(r.commands[1].schedule_activity_task_command_attributes().activity_type().name(),
            "Unbook");

  // After the compensation completed, the workflow closes as canceled.
  h = HistoryBuilder("Comp", api::v1::Payloads());
  wtc = h.CompleteTask();
  book = h.ActivityScheduled(wtc, "1", "Book");
  h.ActivityCompleted(book, api::v1::Payload());
  wtc = h.CompleteTask();
  h.TimerStarted(wtc, "2");
  h.CancelRequested();
  wtc = h.CompleteTask();
  h.TimerCanceled(wtc, "2");
  int64_t unbook = h.ActivityScheduled(wtc, "3", "Unbook");
  h.ActivityCompleted(unbook, api::v1::Payload());
  h.StartTask();
  r = Replay(def, h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  EXPECT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION);
  EXPECT_EQ(FromFirstPayload<std::string>(
                r.commands[0].cancel_workflow_execution_command_attributes().details()),
            "unbooked");
}

TEST(CancellationScopeTest, TimerThatFiredInTheSameBatchAsTheCancelIsNotCanceled) {
  auto def = WorkflowDefinition::FromFunction("Comp", Compensating);
  HistoryBuilder h("Comp", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  int64_t book = h.ActivityScheduled(wtc, "1", "Book");
  h.ActivityCompleted(book, api::v1::Payload());
  wtc = h.CompleteTask();
  h.TimerStarted(wtc, "2");
  h.CancelRequested();
  h.TimerFired("2");  // the server fired it before the task started: CancelTimer would be refused
  h.StartTask();
  ReplayResult r = Replay(def, h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  // The sleep ended normally, so the workflow completes; the request is still visible to it.
  EXPECT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
}

}  // namespace
}  // namespace weft
