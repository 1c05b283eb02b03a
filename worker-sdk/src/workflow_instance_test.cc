// Sticky execution in the SDK: a cached WorkflowInstance continued with only the new events
// must issue exactly the commands a full replay of the whole history issues, task by task.
// A small simulated server records each task's commands as events the way weft-server does,
// and answers activities, timers and signals, so both paths see the same histories.
#include "workflow_instance.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "replayer.h"
#include "weft/errors.h"
#include "weft/workflow.h"
#include "weft/workflow_definition.h"

namespace weft {
namespace {

using api::v1::Command;
using api::v1::EventType;
using api::v1::HistoryEvent;
using namespace std::chrono_literals;

// Versions, side effects, random numbers, parallel activities, the cancel of an activity
// scheduled in an earlier task (it needs the scheduled event id the server assigned), timers
// and a signal.
Workflow<std::string> Mixed(WorkflowContext& ctx, int rounds) {
  std::string out = "v" + std::to_string(ctx.GetVersion("change", 0, 1));
  out += ",s" + std::to_string(ctx.SideEffect<int>([] { return 42; }));
  for (int i = 0; i < rounds; ++i) {
    auto step = ctx.ExecuteActivity<std::string>("Step", {.start_to_close = 10s}, i);
    auto side = ctx.ExecuteActivity<std::string>("Side", {.start_to_close = 10s}, i);
    out += "," + co_await step;
    side.Cancel();
    try {
      co_await side;
      out += ",side-done";
    } catch (const CanceledError&) {
      out += ",c";
    }
    co_await ctx.Sleep(1s);
  }
  std::string go = co_await ctx.GetSignalChannel("go").Receive<std::string>();
  out += "," + go + ",r" + std::to_string(ctx.Random() % 1000);
  co_return out;
}

const WorkflowDefinition& MixedDef() {
  static const WorkflowDefinition def = WorkflowDefinition::FromFunction("Mixed", Mixed);
  return def;
}

api::v1::WorkflowExecution Execution() {
  api::v1::WorkflowExecution e;
  e.set_workflow_id("wf-1");
  e.set_run_id("run-1");
  return e;
}

// Appends events the way weft-server does: commands after their WorkflowTaskCompleted,
// "Step" activities completed, "Side" activities left running until canceled, timers fired,
// and the signal `go` once nothing else is pending.
class SimulatedServer {
 public:
  explicit SimulatedServer(int rounds) {
    auto& a = *Add(EventType::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
                   .mutable_workflow_execution_started_event_attributes();
    a.mutable_workflow_type()->set_name("Mixed");
    a.mutable_task_queue()->set_name("q");
    *a.mutable_input() = ToPayloads(rounds);
    a.set_attempt(1);
    StartTask();
  }

  const api::v1::History& history() const { return history_; }
  int64_t last_started() const { return last_started_; }
  // The events after the previous task's started event, as a sticky dispatch carries them.
  api::v1::History Partial(int64_t previous_started) const {
    api::v1::History out;
    for (const auto& e : history_.events()) {
      if (e.event_id() > previous_started) *out.add_events() = e;
    }
    return out;
  }

  // Records the task's commands; returns whether the run closed.
  bool Complete(const std::vector<Command>& commands) {
    auto& done = Add(EventType::EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    done.mutable_workflow_task_completed_event_attributes()->set_started_event_id(last_started_);
    const int64_t completed = done.event_id();
    for (const Command& c : commands) {
      switch (c.command_type()) {
        case api::v1::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
          const auto& ca = c.schedule_activity_task_command_attributes();
          auto& e = Add(EventType::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
          auto& a = *e.mutable_activity_task_scheduled_event_attributes();
          a.set_activity_id(ca.activity_id());
          *a.mutable_activity_type() = ca.activity_type();
          *a.mutable_input() = ca.input();
          a.set_workflow_task_completed_event_id(completed);
          activities_[e.event_id()] = ca.activity_type().name();
          break;
        }
        case api::v1::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: {
          int64_t id = c.request_cancel_activity_task_command_attributes().scheduled_event_id();
          auto& a = *Add(EventType::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED)
                         .mutable_activity_task_cancel_requested_event_attributes();
          a.set_scheduled_event_id(id);
          a.set_workflow_task_completed_event_id(completed);
          cancel_requested_.insert(id);
          break;
        }
        case api::v1::COMMAND_TYPE_START_TIMER: {
          auto& a =
              *Add(EventType::EVENT_TYPE_TIMER_STARTED).mutable_timer_started_event_attributes();
          a.set_timer_id(c.start_timer_command_attributes().timer_id());
          a.set_workflow_task_completed_event_id(completed);
          timers_.insert(a.timer_id());
          break;
        }
        case api::v1::COMMAND_TYPE_RECORD_MARKER: {
          auto& a = *Add(EventType::EVENT_TYPE_MARKER_RECORDED)
                         .mutable_marker_recorded_event_attributes();
          a.set_marker_name(c.record_marker_command_attributes().marker_name());
          *a.mutable_details() = c.record_marker_command_attributes().details();
          a.set_workflow_task_completed_event_id(completed);
          break;
        }
        case api::v1::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: {
          auto& a = *Add(EventType::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
                         .mutable_workflow_execution_completed_event_attributes();
          *a.mutable_result() = c.complete_workflow_execution_command_attributes().result();
          a.set_workflow_task_completed_event_id(completed);
          result_ = FromFirstPayload<std::string>(a.result());
          return true;
        }
        default:
          ADD_FAILURE() << "unexpected command " << c.ShortDebugString();
          return true;
      }
    }
    RunWorld();
    StartTask();
    return false;
  }

  // The task fails instead (its answer refused); a new one is scheduled.
  void FailTask() {
    auto& a = *Add(EventType::EVENT_TYPE_WORKFLOW_TASK_FAILED)
                   .mutable_workflow_task_failed_event_attributes();
    a.set_started_event_id(last_started_);
    StartTask();
  }

  const std::string& result() const { return result_; }

 private:
  HistoryEvent& Add(EventType type) {
    HistoryEvent& e = *history_.add_events();
    e.set_event_id(history_.events_size());
    e.set_event_type(type);
    e.mutable_event_time()->set_seconds(1700000000 + e.event_id());
    return e;
  }
  void StartTask() {
    Add(EventType::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
    last_started_ = Add(EventType::EVENT_TYPE_WORKFLOW_TASK_STARTED).event_id();
  }
  void RunWorld() {
    bool progressed = false;
    for (auto it = activities_.begin(); it != activities_.end();) {
      const int64_t id = it->first;
      if (it->second == "Step") {
        auto& a = *Add(EventType::EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
                       .mutable_activity_task_completed_event_attributes();
        a.set_scheduled_event_id(id);
        *a.mutable_result() = ToPayloads("step" + std::to_string(id));
      } else if (cancel_requested_.contains(id)) {
        Add(EventType::EVENT_TYPE_ACTIVITY_TASK_CANCELED)
            .mutable_activity_task_canceled_event_attributes()
            ->set_scheduled_event_id(id);
      } else {
        ++it;
        continue;
      }
      progressed = true;
      it = activities_.erase(it);
    }
    for (const std::string& id : timers_) {
      Add(EventType::EVENT_TYPE_TIMER_FIRED)
          .mutable_timer_fired_event_attributes()
          ->set_timer_id(id);
      progressed = true;
    }
    timers_.clear();
    if (!progressed) {
      auto& a = *Add(EventType::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
                     .mutable_workflow_execution_signaled_event_attributes();
      a.set_signal_name("go");
      *a.mutable_input() = ToPayloads(std::string("go"));
    }
  }

  api::v1::History history_;
  int64_t last_started_ = 0;
  std::map<int64_t, std::string> activities_;  // pending, by scheduled event id
  std::set<int64_t> cancel_requested_;
  std::set<std::string> timers_;
  std::string result_;
};

std::string Describe(const std::vector<Command>& commands) {
  std::string out;
  for (const auto& c : commands) out += c.ShortDebugString() + "\n";
  return out;
}

TEST(WorkflowInstanceTest, ACachedRunIssuesTheSameCommandsAsAFullReplayEveryTask) {
  SimulatedServer server(3);
  std::unique_ptr<WorkflowInstance> cached;
  int tasks = 0;
  for (bool closed = false; !closed; ++tasks) {
    ASSERT_LT(tasks, 50) << "the workflow does not finish";
    ReplayResult full = Replayer(MixedDef()).Replay(server.history(), Execution(), "default");
    ASSERT_FALSE(full.task_failed) << full.message;

    std::optional<ReplayResult> sticky;
    if (!cached) {
      cached = std::make_unique<WorkflowInstance>(MixedDef(), server.history().events(0),
                                                  Execution(), "default");
      sticky = cached->Advance(server.history(), 1, nullptr, nullptr);
    } else {
      ASSERT_TRUE(cached->reusable());
      api::v1::History partial = server.Partial(cached->last_started_event_id());
      EXPECT_EQ(partial.events(0).event_type(), EventType::EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
      sticky = cached->Advance(partial, 0, nullptr, nullptr);
    }
    ASSERT_TRUE(sticky.has_value());
    ASSERT_FALSE(sticky->task_failed) << sticky->message;
    EXPECT_EQ(Describe(sticky->commands), Describe(full.commands)) << "task " << tasks + 1;
    EXPECT_EQ(cached->last_started_event_id(), server.last_started());
    closed = server.Complete(full.commands);
  }
  EXPECT_FALSE(cached->reusable());  // the run closed
  EXPECT_GE(tasks, 10);
  // The cancels reached the server (they need the ids bound after each live task).
  const std::string& result = server.result();
  EXPECT_EQ(result.rfind("v1,s42,step", 0), 0u) << result;
  int canceled = 0;
  for (size_t at = result.find(",c,"); at != std::string::npos; at = result.find(",c,", at + 1)) {
    ++canceled;
  }
  EXPECT_EQ(canceled, 3) << result;
  EXPECT_EQ(result.find("side-done"), std::string::npos) << result;
  EXPECT_NE(result.find(",go,r"), std::string::npos) << result;
}

TEST(WorkflowInstanceTest, ARefusedAnswerMakesTheCachedRunUnusable) {
  SimulatedServer server(1);
  WorkflowInstance run(MixedDef(), server.history().events(0), Execution(), "default");
  std::optional<ReplayResult> first = run.Advance(server.history(), 1, nullptr, nullptr);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(run.reusable());
  const int64_t previous = run.last_started_event_id();
  server.FailTask();  // e.g. the server refused the commands
  EXPECT_FALSE(run.Advance(server.Partial(previous), 0, nullptr, nullptr).has_value());
  EXPECT_FALSE(run.reusable());
  // A full replay of the same history still answers.
  ReplayResult full = Replayer(MixedDef()).Replay(server.history(), Execution(), "default");
  EXPECT_FALSE(full.task_failed) << full.message;
  EXPECT_FALSE(full.commands.empty());
}

}  // namespace
}  // namespace weft
