#include "replayer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "history_builder_for_test.h"
#include "replay_test_support.h"
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

// The single close command's result, decoded.
template <typename T>
T CompletedResult(const ReplayResult& r) {
  EXPECT_FALSE(r.task_failed) << r.message;
  EXPECT_EQ(r.commands.size(), 1u) << Describe(r);
  if (r.commands.size() != 1) return T();
  EXPECT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION)
      << Describe(r);
  return FromFirstPayload<T>(
      r.commands[0].complete_workflow_execution_command_attributes().result());
}

// ---- Greeting ----

Workflow<std::string> Greet(WorkflowContext& ctx, std::string name) {
  auto greeting = co_await ctx.ExecuteActivity<std::string>(
      "ComposeGreeting", {.start_to_close = std::chrono::seconds(10)}, name);
  co_await ctx.Sleep(std::chrono::seconds(1));
  co_return greeting;
}

const WorkflowDefinition& GreetDef() {
  static const WorkflowDefinition def = WorkflowDefinition::FromFunction("Greeting", Greet);
  return def;
}

TEST(ReplayerTest, GreetingFirstTaskSchedulesTheActivity) {
  HistoryBuilder h("Greeting", ToPayloads(std::string("x")));
  h.StartTask();
  ReplayResult r = Replay(GreetDef(), h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  const Command& c = r.commands[0];
  EXPECT_EQ(c.command_type(), api::v1::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK);
  const auto& a = c.schedule_activity_task_command_attributes();
  EXPECT_EQ(a.activity_id(), "1");
  EXPECT_EQ(a.activity_type().name(), "ComposeGreeting");
  EXPECT_EQ(a.start_to_close_timeout().seconds(), 10);
  ASSERT_EQ(a.input().payloads_size(), 1);
  EXPECT_EQ(FromPayload<std::string>(a.input().payloads(0)), "x");
  EXPECT_FALSE(a.has_retry_policy());
}

TEST(ReplayerTest, GreetingStartsTheTimerAfterTheActivityCompleted) {
  HistoryBuilder h("Greeting", ToPayloads(std::string("x")));
  int64_t wtc = h.CompleteTask();
  int64_t scheduled = h.ActivityScheduled(wtc, "1", "ComposeGreeting");
  h.ActivityCompleted(scheduled, ToPayload(std::string("Hello, x!")));
  h.StartTask();
  ReplayResult r = Replay(GreetDef(), h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  EXPECT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_START_TIMER);
  EXPECT_EQ(r.commands[0].start_timer_command_attributes().timer_id(), "2");
  EXPECT_EQ(r.commands[0].start_timer_command_attributes().start_to_fire_timeout().seconds(), 1);
}

HistoryBuilder GreetingUntilTimerFired() {
  HistoryBuilder h("Greeting", ToPayloads(std::string("x")));
  int64_t wtc = h.CompleteTask();
  int64_t scheduled = h.ActivityScheduled(wtc, "1", "ComposeGreeting");
  h.ActivityCompleted(scheduled, ToPayload(std::string("Hello, x!")));
  wtc = h.CompleteTask();
  h.TimerStarted(wtc, "2");
  h.TimerFired("2");
  return h;
}

TEST(ReplayerTest, GreetingCompletesAfterTheTimerFired) {
  HistoryBuilder h = GreetingUntilTimerFired();
  h.StartTask();
  EXPECT_EQ(CompletedResult<std::string>(Replay(GreetDef(), h)), "Hello, x!");
}

TEST(ReplayerTest, ActivityStillRunningIssuesNothingNew) {
  HistoryBuilder h("Greeting", ToPayloads(std::string("x")));
  int64_t wtc = h.CompleteTask();
  h.ActivityScheduled(wtc, "1", "ComposeGreeting");
  h.Signaled("unrelated", ToPayloads(1));
  h.StartTask();
  ReplayResult r = Replay(GreetDef(), h);
  EXPECT_FALSE(r.task_failed) << r.message;
  EXPECT_TRUE(r.commands.empty()) << Describe(r);
}

TEST(ReplayerTest, FailedAndTimedOutTasksAreNotMatched) {
  // The first two tasks failed (their commands were discarded, so history has none); the code
  // must not be matched against them, and the activity result is delivered at the current task.
  HistoryBuilder h("Greeting", ToPayloads(std::string("x")));
  h.FailTask();
  h.TimeOutTask();
  int64_t wtc = h.CompleteTask();
  int64_t scheduled = h.ActivityScheduled(wtc, "1", "ComposeGreeting");
  h.ActivityCompleted(scheduled, ToPayload(std::string("Hello, y!")));
  h.FailTask();
  h.StartTask();
  ReplayResult r = Replay(GreetDef(), h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  EXPECT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_START_TIMER);
}

TEST(ReplayerTest, FirstTaskAfterFailedTaskStillSchedules) {
  HistoryBuilder h("Greeting", ToPayloads(std::string("x")));
  h.FailTask();
  h.StartTask();
  ReplayResult r = Replay(GreetDef(), h);
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  EXPECT_EQ(r.commands[0].schedule_activity_task_command_attributes().activity_id(), "1");
}

TEST(ReplayerTest, NonDeterminismNamesHistoryAndCode) {
  // History says the first command was an activity; this code starts a timer first.
  auto timer_first = [](WorkflowContext& ctx, std::string name) -> Workflow<std::string> {
    co_await ctx.Sleep(std::chrono::seconds(1));
    co_return name;
  };
  auto def = WorkflowDefinition::FromFunction("Greeting", +timer_first);
  HistoryBuilder h("Greeting", ToPayloads(std::string("x")));
  int64_t wtc = h.CompleteTask();
  h.ActivityScheduled(wtc, "1", "Compose");
  h.StartTask();
  ReplayResult r = Replay(def, h);
  ASSERT_TRUE(r.task_failed) << Describe(r);
  EXPECT_EQ(r.cause, api::v1::WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR);
  EXPECT_EQ(r.message,
            "non-deterministic workflow: history has ActivityTaskScheduled(activity_id=1, "
            "type=Compose) at event 5, the code issued StartTimer(timer_id=1)");
  EXPECT_TRUE(r.commands.empty());
}

TEST(ReplayerTest, NonDeterminismOnActivityTypeAndMissingCommands) {
  HistoryBuilder h("Greeting", ToPayloads(std::string("x")));
  int64_t wtc = h.CompleteTask();
  h.ActivityScheduled(wtc, "1", "OtherActivity");
  h.StartTask();
  ReplayResult r = Replay(GreetDef(), h);
  ASSERT_TRUE(r.task_failed);
  EXPECT_THAT(r.message, HasSubstr("history has ActivityTaskScheduled(activity_id=1, "
                                   "type=OtherActivity) at event 5, the code issued "
                                   "ScheduleActivityTask(activity_id=1, type=ComposeGreeting)"));

  // History has two commands for the task; the code issues only one.
  HistoryBuilder h2("Greeting", ToPayloads(std::string("x")));
  wtc = h2.CompleteTask();
  h2.ActivityScheduled(wtc, "1", "ComposeGreeting");
  h2.TimerStarted(wtc, "2");
  h2.StartTask();
  r = Replay(GreetDef(), h2);
  ASSERT_TRUE(r.task_failed);
  EXPECT_EQ(r.message,
            "non-deterministic workflow: history has TimerStarted(timer_id=2) at event 6, the "
            "code issued no further command");
}

// ---- signals, WhenAny, cancellation ----

Workflow<std::string> AwaitApproval(WorkflowContext& ctx) {
  std::string who = co_await ctx.GetSignalChannel("approve").Receive<std::string>();
  co_return "approved by " + who;
}

TEST(ReplayerTest, SignalIsDeliveredToItsChannel) {
  auto def = WorkflowDefinition::FromFunction("AwaitApproval", AwaitApproval);
  HistoryBuilder h("AwaitApproval", api::v1::Payloads());
  h.CompleteTask();
  h.Signaled("other", ToPayloads(std::string("nobody")));
  h.Signaled("approve", ToPayloads(std::string("ann")));
  h.StartTask();
  EXPECT_EQ(CompletedResult<std::string>(Replay(def, h)), "approved by ann");
}

TEST(ReplayerTest, SignalsAreBufferedInArrivalOrder) {
  auto two = [](WorkflowContext& ctx) -> Workflow<std::string> {
    auto& ch = ctx.GetSignalChannel("s");
    std::string a = co_await ch.Receive<std::string>();
    std::string b = co_await ch.Receive<std::string>();
    co_return a + b;
  };
  auto def = WorkflowDefinition::FromFunction("Two", +two);
  HistoryBuilder h("Two", api::v1::Payloads());
  h.Signaled("s", ToPayloads(std::string("1")));  // before the first task: signal-with-start
  h.Signaled("s", ToPayloads(std::string("2")));
  h.StartTask();
  EXPECT_EQ(CompletedResult<std::string>(Replay(def, h)), "12");
}

Workflow<std::string> SignalOrTimeout(WorkflowContext& ctx) {
  TimerFuture timer = ctx.NewTimer(std::chrono::seconds(30));
  Future<std::string> signal = ctx.GetSignalChannel("go").Receive<std::string>();
  size_t first = co_await ctx.WhenAny(timer, signal);
  if (first == 1) {
    timer.Cancel();
    co_return "signal " + co_await signal;
  }
  co_return "timeout";
}

TEST(ReplayerTest, WhenAnySignalBeforeTimerCancelsTheTimer) {
  auto def = WorkflowDefinition::FromFunction("SignalOrTimeout", SignalOrTimeout);
  HistoryBuilder h("SignalOrTimeout", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  h.TimerStarted(wtc, "1");
  h.Signaled("go", ToPayloads(std::string("now")));
  h.StartTask();
  ReplayResult r = Replay(def, h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 2u) << Describe(r);
  EXPECT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_CANCEL_TIMER);
  EXPECT_EQ(r.commands[0].cancel_timer_command_attributes().timer_id(), "1");
  EXPECT_EQ(r.commands[1].command_type(), api::v1::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  EXPECT_EQ(FromFirstPayload<std::string>(
                r.commands[1].complete_workflow_execution_command_attributes().result()),
            "signal now");
}

TEST(ReplayerTest, WhenAnyTimerFirst) {
  auto def = WorkflowDefinition::FromFunction("SignalOrTimeout", SignalOrTimeout);
  HistoryBuilder h("SignalOrTimeout", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  h.TimerStarted(wtc, "1");
  h.TimerFired("1");
  h.Signaled("go", ToPayloads(std::string("late")));  // same batch, but after the timer
  h.StartTask();
  EXPECT_EQ(CompletedResult<std::string>(Replay(def, h)), "timeout");
}

TEST(ReplayerTest, CanceledTimerReplaysAgainstTimerCanceled) {
  auto def = WorkflowDefinition::FromFunction("SignalOrTimeout", SignalOrTimeout);
  HistoryBuilder h("SignalOrTimeout", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  h.TimerStarted(wtc, "1");
  h.Signaled("go", ToPayloads(std::string("now")));
  wtc = h.CompleteTask();
  h.TimerCanceled(wtc, "1");
  h.Completed(wtc, ToPayload(std::string("signal now")));
  ReplayResult r = Replay(def, h);  // a closed history replays without error or commands
  EXPECT_FALSE(r.task_failed) << r.message;
  EXPECT_TRUE(r.commands.empty()) << Describe(r);
}

TEST(ReplayerTest, CancelRequestAcceptedByThrowingCanceledError) {
  auto cancellable = [](WorkflowContext& ctx) -> Workflow<void> {
    size_t first = co_await ctx.WhenAny(ctx.NewTimer(std::chrono::hours(1)), ctx.CancelRequested());
    if (first == 1 && ctx.IsCancelRequested()) throw CanceledError("stopping");
  };
  auto def = WorkflowDefinition::FromFunction("C", +cancellable);
  HistoryBuilder h("C", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  h.TimerStarted(wtc, "1");
  h.CancelRequested();
  h.StartTask();
  ReplayResult r = Replay(def, h);
  // The cancel request cancels the root scope, so the pending timer is canceled too.
  ASSERT_EQ(r.commands.size(), 2u) << Describe(r);
  EXPECT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_CANCEL_TIMER);
  EXPECT_EQ(r.commands[1].command_type(), api::v1::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION);
}

// ---- SideEffect, determinism helpers ----

TEST(ReplayerTest, SideEffectIsRecordedThenReplayedFromTheMarker) {
  int calls = 0;
  auto fn = [&calls](WorkflowContext& ctx) -> Workflow<int> {
    int v = ctx.SideEffect<int>([&calls] {
      ++calls;
      return 42;
    });
    co_await ctx.Sleep(std::chrono::seconds(1));
    co_return v;
  };
  auto def = WorkflowDefinition::FromFunction("SE", fn);

  HistoryBuilder first("SE", api::v1::Payloads());
  first.StartTask();
  ReplayResult r = Replay(def, first);
  ASSERT_EQ(r.commands.size(), 2u) << Describe(r);
  EXPECT_EQ(calls, 1);
  const auto& marker = r.commands[0].record_marker_command_attributes();
  EXPECT_EQ(marker.marker_name(), "SideEffect");
  EXPECT_EQ(FromFirstPayload<int>(marker.details().at("data")), 42);
  EXPECT_EQ(r.commands[1].start_timer_command_attributes().timer_id(), "1");

  // The recorded value (7, not what fn returns now) wins, and fn is not called.
  calls = 0;
  HistoryBuilder h("SE", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  h.Marker(wtc, "SideEffect", ToPayload(7));
  h.TimerStarted(wtc, "1");
  h.TimerFired("1");
  h.StartTask();
  EXPECT_EQ(CompletedResult<int>(Replay(def, h)), 7);
  EXPECT_EQ(calls, 0);
}

TEST(ReplayerTest, NowRandomAndUuidAreDeterministic) {
  auto fn = [](WorkflowContext& ctx) -> Workflow<nlohmann::json> {
    auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(ctx.Now().time_since_epoch()).count();
    co_return nlohmann::json{{"now", seconds},
                             {"random", ctx.Random()},
                             {"uuid", ctx.NewUuid()},
                             {"info", ctx.Info().workflow_id + "/" + ctx.Info().run_id + "/" +
                                          ctx.Info().workflow_type + "/" + ctx.Info().task_queue}};
  };
  auto def = WorkflowDefinition::FromFunction("D", +fn);
  HistoryBuilder h("D", api::v1::Payloads());
  int64_t started = h.StartTask();
  nlohmann::json a = CompletedResult<nlohmann::json>(Replay(def, h));
  nlohmann::json b = CompletedResult<nlohmann::json>(Replay(def, h));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a["now"], HistoryBuilder::kStartSeconds + started);
  EXPECT_EQ(a["info"], "wf-1/run-1/D/q");
  std::string uuid = a["uuid"];
  EXPECT_EQ(uuid.size(), 36u);
  EXPECT_EQ(uuid[14], '4');
}

// ---- activity failures ----

TEST(ReplayerTest, ActivityFailureSurfacesAsActivityError) {
  auto fn = [](WorkflowContext& ctx) -> Workflow<std::string> {
    try {
      co_await ctx.ExecuteActivity<std::string>("Charge",
                                                {.start_to_close = std::chrono::seconds(5)});
    } catch (const ActivityError& e) {
      co_return std::string("caught ") + e.type() + ": " + e.what() + " from " + e.activity_type();
    }
    co_return "no error";
  };
  auto def = WorkflowDefinition::FromFunction("F", +fn);
  HistoryBuilder h("F", api::v1::Payloads());
  int64_t wtc = h.CompleteTask();
  int64_t scheduled = h.ActivityScheduled(wtc, "1", "Charge");
  h.ActivityFailed(scheduled, "card declined", "Declined");
  h.StartTask();
  EXPECT_EQ(CompletedResult<std::string>(Replay(def, h)),
            "caught Declined: card declined from Charge");
}

TEST(ReplayerTest, UncaughtActivityErrorFailsTheWorkflow) {
  HistoryBuilder h("Greeting", ToPayloads(std::string("x")));
  int64_t wtc = h.CompleteTask();
  int64_t scheduled = h.ActivityScheduled(wtc, "1", "ComposeGreeting");
  h.ActivityTimedOut(scheduled);
  h.StartTask();
  ReplayResult r = Replay(GreetDef(), h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  ASSERT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION);
  const auto& failure = r.commands[0].fail_workflow_execution_command_attributes().failure();
  EXPECT_EQ(failure.message(), "activity ComposeGreeting timed out (TIMEOUT_TYPE_START_TO_CLOSE)");
  EXPECT_EQ(failure.type(), "TimeoutError");
}

TEST(ReplayerTest, ApplicationErrorAndOtherExceptionsFailTheWorkflow) {
  auto app = [](WorkflowContext& ctx) -> Workflow<int> {
    throw ApplicationError("bad order", "InvalidOrder", true);
    co_return 0;
  };
  HistoryBuilder h("A", api::v1::Payloads());
  h.StartTask();
  ReplayResult r = Replay(WorkflowDefinition::FromFunction("A", +app), h);
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  const auto& f = r.commands[0].fail_workflow_execution_command_attributes().failure();
  EXPECT_EQ(f.message(), "bad order");
  EXPECT_EQ(f.type(), "InvalidOrder");
  EXPECT_TRUE(f.non_retryable());

  auto other = [](WorkflowContext& ctx) -> Workflow<int> {
    co_await ctx.Sleep(std::chrono::milliseconds(0));
    throw std::out_of_range("index 3");
  };
  r = Replay(WorkflowDefinition::FromFunction("O", +other), h);
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  const auto& f2 = r.commands[0].fail_workflow_execution_command_attributes().failure();
  EXPECT_EQ(f2.message(), "index 3");
  EXPECT_EQ(f2.type(), "std::out_of_range");
}

TEST(ReplayerTest, BadInputFailsTheWorkflowNamingTheArgument) {
  HistoryBuilder h("Greeting", ToPayloads(12));
  h.StartTask();
  ReplayResult r = Replay(GreetDef(), h);
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  const auto& f = r.commands[0].fail_workflow_execution_command_attributes().failure();
  EXPECT_EQ(f.type(), "PayloadError");
  EXPECT_THAT(f.message(), HasSubstr("argument 1"));
}

// ---- composition ----

Workflow<int> Double(WorkflowContext& ctx, int x) {
  int y =
      co_await ctx.ExecuteActivity<int>("Double", {.start_to_close = std::chrono::seconds(1)}, x);
  co_return y;
}

TEST(ReplayerTest, WhenAllAndNestedWorkflowCoroutines) {
  auto fn = [](WorkflowContext& ctx) -> Workflow<int> {
    auto a = ctx.ExecuteActivity<int>("Double", {.start_to_close = std::chrono::seconds(1)}, 1);
    auto b = ctx.ExecuteActivity<int>("Double", {.start_to_close = std::chrono::seconds(1)}, 2);
    co_await ctx.WhenAll(a, b);
    int c = co_await Double(ctx, co_await a + co_await b);
    co_return c;
  };
  auto def = WorkflowDefinition::FromFunction("W", +fn);
  HistoryBuilder h("W", api::v1::Payloads());
  h.StartTask();
  ReplayResult r = Replay(def, h);
  ASSERT_EQ(r.commands.size(), 2u) << Describe(r);

  int64_t wtc = h.CompleteTask();
  int64_t s1 = h.ActivityScheduled(wtc, "1", "Double");
  int64_t s2 = h.ActivityScheduled(wtc, "2", "Double");
  h.ActivityCompleted(s2, ToPayload(4));
  h.StartTask();
  r = Replay(def, h);  // only one of the two is done: WhenAll keeps waiting
  EXPECT_TRUE(r.commands.empty()) << Describe(r);

  // The previous (current) task is taken as completed without commands.
  HistoryBuilder h2("W", api::v1::Payloads());
  wtc = h2.CompleteTask();
  s1 = h2.ActivityScheduled(wtc, "1", "Double");
  s2 = h2.ActivityScheduled(wtc, "2", "Double");
  h2.ActivityCompleted(s2, ToPayload(4));
  h2.CompleteTask();
  h2.ActivityCompleted(s1, ToPayload(2));
  h2.StartTask();
  h = h2;
  r = Replay(def, h);
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  const auto& a = r.commands[0].schedule_activity_task_command_attributes();
  EXPECT_EQ(a.activity_id(), "3");
  EXPECT_EQ(FromFirstPayload<int>(a.input()), 6);
}

}  // namespace
}  // namespace weft
