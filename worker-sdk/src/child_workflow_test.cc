// Replay tests of child workflows, SignalExternalWorkflow and RequestCancelExternalWorkflow:
// the commands the code issues, how their events resolve its futures, cancellation
// propagation, and determinism checks against recorded histories.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "history_builder_for_test.h"
#include "replay_test_support.h"
#include "weft/errors.h"
#include "weft/workflow.h"
#include "weft/workflow_definition.h"

namespace weft {
namespace {

using api::v1::Command;
using testing::Describe;
using ::testing::HasSubstr;
using testing::HistoryBuilder;
using testing::Replay;

// Runs child "Square" with `n` and returns its result.
Workflow<int> ParentOfOne(WorkflowContext& ctx, int n) {
  co_return co_await ctx.ExecuteChildWorkflow<int>(
      "Square", {.parent_close_policy = ParentClosePolicy::kAbandon}, n);
}
const WorkflowDefinition& ParentOfOneDef() {
  static const WorkflowDefinition def = WorkflowDefinition::FromFunction("Parent", ParentOfOne);
  return def;
}

// Starts a child with a fixed id, reports how its start went.
Workflow<std::string> StartOnly(WorkflowContext& ctx) {
  auto child = ctx.StartChildWorkflow<int>("Square", {.workflow_id = "sq"}, 3);
  try {
    std::string run = co_await child.Started();
    co_return "started " + run;
  } catch (const ChildWorkflowError& e) {
    co_return "not started: " + e.type();
  }
}
const WorkflowDefinition& StartOnlyDef() {
  static const WorkflowDefinition def = WorkflowDefinition::FromFunction("StartOnly", StartOnly);
  return def;
}

// Signals and cancels other workflows, reporting what happened.
Workflow<std::string> Messenger(WorkflowContext& ctx) {
  std::string out;
  try {
    co_await ctx.SignalExternalWorkflow("peer", "", "ping", 1);
    out += "signaled;";
  } catch (const ExternalWorkflowError& e) {
    out += "signal failed;";
  }
  co_await ctx.RequestCancelExternalWorkflow("peer");
  out += "cancel requested";
  co_return out;
}
const WorkflowDefinition& MessengerDef() {
  static const WorkflowDefinition def = WorkflowDefinition::FromFunction("Messenger", Messenger);
  return def;
}

TEST(ChildWorkflowReplayTest, FirstTaskStartsTheChildWithADeterministicId) {
  HistoryBuilder h("Parent", ToPayloads(4));
  h.StartTask();
  ReplayResult r = Replay(ParentOfOneDef(), h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  ASSERT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION);
  const auto& a = r.commands[0].start_child_workflow_execution_command_attributes();
  EXPECT_EQ(a.workflow_id(), "wf-1/child-1");
  EXPECT_EQ(a.workflow_type().name(), "Square");
  EXPECT_EQ(a.parent_close_policy(), api::v1::PARENT_CLOSE_POLICY_ABANDON);
  ASSERT_EQ(a.input().payloads_size(), 1);
  EXPECT_EQ(FromPayload<int>(a.input().payloads(0)), 4);
  EXPECT_TRUE(a.task_queue().name().empty());  // the parent's, chosen by the server
}

TEST(ChildWorkflowReplayTest, ChildResultCompletesTheParent) {
  HistoryBuilder h("Parent", ToPayloads(4));
  int64_t wtc = h.CompleteTask();
  int64_t init = h.ChildInitiated(wtc, "wf-1/child-1", "Square");
  h.ChildStarted(init, "wf-1/child-1", "child-run");
  h.ChildCompleted(init, "wf-1/child-1", ToPayload(16));
  h.StartTask();
  ReplayResult r = Replay(ParentOfOneDef(), h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  ASSERT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  EXPECT_EQ(FromFirstPayload<int>(
                r.commands[0].complete_workflow_execution_command_attributes().result()),
            16);
}

TEST(ChildWorkflowReplayTest, ChildFailureFailsTheParentWithTheChildsMessage) {
  HistoryBuilder h("Parent", ToPayloads(4));
  int64_t wtc = h.CompleteTask();
  int64_t init = h.ChildInitiated(wtc, "wf-1/child-1", "Square");
  h.ChildStarted(init, "wf-1/child-1", "child-run");
  h.ChildFailed(init, "wf-1/child-1", "boom");
  h.StartTask();
  ReplayResult r = Replay(ParentOfOneDef(), h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  ASSERT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION);
  EXPECT_THAT(r.commands[0].fail_workflow_execution_command_attributes().failure().message(),
              HasSubstr("child workflow Square (wf-1/child-1) failed: boom"));
  // The child's failure type (here the default) carries over, as for an activity failure.
  EXPECT_EQ(r.commands[0].fail_workflow_execution_command_attributes().failure().type(),
            "ApplicationError");
}

TEST(ChildWorkflowReplayTest, StartedFutureGivesTheRunIdOrTheStartFailure) {
  HistoryBuilder ok("StartOnly", {});
  int64_t wtc = ok.CompleteTask();
  int64_t init = ok.ChildInitiated(wtc, "sq", "Square");
  ok.ChildStarted(init, "sq", "run-7");
  ok.StartTask();
  ReplayResult r = Replay(StartOnlyDef(), ok);
  EXPECT_EQ(FromFirstPayload<std::string>(
                r.commands.at(0).complete_workflow_execution_command_attributes().result()),
            "started run-7")
      << Describe(r);

  HistoryBuilder bad("StartOnly", {});
  wtc = bad.CompleteTask();
  init = bad.ChildInitiated(wtc, "sq", "Square");
  bad.StartChildFailed(init, "sq");
  bad.StartTask();
  r = Replay(StartOnlyDef(), bad);
  EXPECT_EQ(FromFirstPayload<std::string>(
                r.commands.at(0).complete_workflow_execution_command_attributes().result()),
            "not started: WorkflowAlreadyExists")
      << Describe(r);
}

TEST(ChildWorkflowReplayTest, AChildOfAnotherTypeInHistoryIsNonDeterministic) {
  HistoryBuilder h("Parent", ToPayloads(4));
  int64_t wtc = h.CompleteTask();
  h.ChildInitiated(wtc, "wf-1/child-1", "Cube");
  h.StartTask();
  ReplayResult r = Replay(ParentOfOneDef(), h);
  ASSERT_TRUE(r.task_failed);
  EXPECT_EQ(r.cause, api::v1::WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR);
  EXPECT_THAT(r.message, HasSubstr("StartChildWorkflowExecutionInitiated(workflow_id=wf-1/child-1, "
                                   "type=Cube)"));
  EXPECT_THAT(r.message, HasSubstr("StartChildWorkflowExecution(workflow_id=wf-1/child-1, "
                                   "type=Square)"));
}

TEST(ChildWorkflowReplayTest, ParentCancelRequestCancelsTheRunningChild) {
  HistoryBuilder h("Parent", ToPayloads(4));
  int64_t wtc = h.CompleteTask();
  int64_t init = h.ChildInitiated(wtc, "wf-1/child-1", "Square");
  h.ChildStarted(init, "wf-1/child-1", "child-run");
  h.CancelRequested();
  h.StartTask();
  ReplayResult r = Replay(ParentOfOneDef(), h);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  ASSERT_EQ(r.commands[0].command_type(),
            api::v1::COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION);
  const auto& a = r.commands[0].request_cancel_external_workflow_execution_command_attributes();
  EXPECT_EQ(a.workflow_id(), "wf-1/child-1");
  EXPECT_TRUE(a.child_workflow_only());
  EXPECT_TRUE(a.run_id().empty());  // the child's current run, wherever its chain is

  // The child closes canceled: the parent, asked to cancel, closes canceled too.
  HistoryBuilder h2("Parent", ToPayloads(4));
  wtc = h2.CompleteTask();
  init = h2.ChildInitiated(wtc, "wf-1/child-1", "Square");
  h2.ChildStarted(init, "wf-1/child-1", "child-run");
  h2.CancelRequested();
  wtc = h2.CompleteTask();
  h2.CancelExternalInitiated(wtc, "wf-1/child-1");
  h2.ChildCanceled(init, "wf-1/child-1");
  h2.StartTask();
  r = Replay(ParentOfOneDef(), h2);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  EXPECT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION);
}

TEST(ChildWorkflowReplayTest, CancelBeforeTheChildStartedWaitsForItsStart) {
  HistoryBuilder h("Parent", ToPayloads(4));
  int64_t wtc = h.CompleteTask();
  int64_t init = h.ChildInitiated(wtc, "wf-1/child-1", "Square");
  h.CancelRequested();
  h.StartTask();
  ReplayResult r = Replay(ParentOfOneDef(), h);
  ASSERT_FALSE(r.task_failed) << r.message;
  EXPECT_TRUE(r.commands.empty()) << Describe(r);  // nothing to cancel yet

  HistoryBuilder h2("Parent", ToPayloads(4));
  wtc = h2.CompleteTask();
  init = h2.ChildInitiated(wtc, "wf-1/child-1", "Square");
  h2.CancelRequested();
  h2.CompleteTask();  // answered with no commands
  h2.ChildStarted(init, "wf-1/child-1", "child-run");
  h2.StartTask();
  r = Replay(ParentOfOneDef(), h2);
  ASSERT_FALSE(r.task_failed) << r.message;
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  EXPECT_EQ(r.commands[0].command_type(),
            api::v1::COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION);
}

TEST(ChildWorkflowReplayTest, SignalAndCancelExternalResolveFromTheirEvents) {
  HistoryBuilder h("Messenger", {});
  h.StartTask();
  ReplayResult r = Replay(MessengerDef(), h);
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  ASSERT_EQ(r.commands[0].command_type(), api::v1::COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION);
  const auto& s = r.commands[0].signal_external_workflow_execution_command_attributes();
  EXPECT_EQ(s.execution().workflow_id(), "peer");
  EXPECT_EQ(s.signal_name(), "ping");
  EXPECT_FALSE(s.child_workflow_only());
  const std::string control = s.control();
  ASSERT_FALSE(control.empty());

  // The signal failed (no such workflow); the cancel request then goes out and is delivered.
  HistoryBuilder h2("Messenger", {});
  int64_t wtc = h2.CompleteTask();
  int64_t sig = h2.SignalExternalInitiated(wtc, "peer", "ping", control);
  h2.SignalExternalFailed(sig, control);
  wtc = h2.CompleteTask();
  int64_t cancel = h2.CancelExternalInitiated(wtc, "peer");
  h2.ExternalCancelRequested(cancel, "peer");
  h2.StartTask();
  r = Replay(MessengerDef(), h2);
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  EXPECT_EQ(FromFirstPayload<std::string>(
                r.commands[0].complete_workflow_execution_command_attributes().result()),
            "signal failed;cancel requested");

  // Delivered signal.
  HistoryBuilder h3("Messenger", {});
  wtc = h3.CompleteTask();
  sig = h3.SignalExternalInitiated(wtc, "peer", "ping", control);
  h3.ExternalSignaled(sig, control);
  h3.StartTask();
  r = Replay(MessengerDef(), h3);
  ASSERT_EQ(r.commands.size(), 1u) << Describe(r);
  EXPECT_EQ(r.commands[0].command_type(),
            api::v1::COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION);
  EXPECT_EQ(
      r.commands[0].request_cancel_external_workflow_execution_command_attributes().workflow_id(),
      "peer");
}

TEST(ChildWorkflowReplayTest, ASignalToAnotherWorkflowInHistoryIsNonDeterministic) {
  HistoryBuilder h("Messenger", {});
  int64_t wtc = h.CompleteTask();
  h.SignalExternalInitiated(wtc, "someone-else", "ping", "1");
  h.StartTask();
  ReplayResult r = Replay(MessengerDef(), h);
  ASSERT_TRUE(r.task_failed);
  EXPECT_EQ(r.cause, api::v1::WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR);
  EXPECT_THAT(r.message, HasSubstr("someone-else"));
}

}  // namespace
}  // namespace weft
