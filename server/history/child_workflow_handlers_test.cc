// Unit tests of child workflows, SignalExternal / RequestCancelExternal and parent-close
// policies in the history engine, on a real store in a temporary directory, with matching
// replaced by a fake that records the tasks it is given. Waiting is done by long-polling the
// run's history (GetWorkflowExecutionHistory with wait_new_event) with a deadline.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "server/common/proto_time.h"
#include "server/history/history_engine.h"
#include "server/history/keys.h"
#include "server/history/testing/engine_test_fixture.h"
#include "server/matching/matching_engine.h"

namespace weft::history {
namespace {

using namespace api::v1;  // NOLINT: test brevity

using FakeMatching = test_support::RecordingMatchingEngine;

class ChildWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test_support::MakeTempDir("weft-child-test", &dir_));
    OpenEngine();
  }
  void TearDown() override {
    engine_.reset();
    matching_.reset();
    store_.reset();
    test_support::RemoveTempDir(dir_);
  }
  void OpenEngine() {
    auto s = storage::Store::Open(dir_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    matching_ = std::make_unique<FakeMatching>(store_.get());
    HistoryEngine::Options opts;
    opts.num_shards = 4;
    engine_ =
        std::make_unique<HistoryEngine>(store_.get(), matching_.get(), &clock_, nullptr, opts);
    engine_->SetNamespaceResolver([](const std::string& name) -> absl::StatusOr<NamespaceRef> {
      if (name == "other") return NamespaceRef{"other-id", "other"};
      return absl::NotFoundError("namespace not found: " + name);
    });
    ASSERT_TRUE(engine_->Start().ok());
  }

  std::string Start(const std::string& id, const NamespaceRef* ns = nullptr) {
    StartWorkflowExecutionRequest req;
    req.set_workflow_id(id);
    req.mutable_workflow_type()->set_name("Wf");
    req.mutable_task_queue()->set_name("q");
    auto r = engine_->StartWorkflowExecution(ns ? *ns : ns_, req, nullptr);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->run_id() : "";
  }

  PollWorkflowTaskQueueResponse StartWorkflowTask(const std::string& id,
                                                  const NamespaceRef* ns = nullptr) {
    auto t = matching_->NextOf(internal::TASK_KIND_WORKFLOW, id);
    EXPECT_TRUE(t.has_value()) << "no workflow task for " << id;
    if (!t) return {};
    auto r = engine_->RecordWorkflowTaskStarted(ns ? *ns : ns_, *t, "w");
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : PollWorkflowTaskQueueResponse();
  }

  absl::Status Respond(const PollWorkflowTaskQueueResponse& wt, std::vector<Command> cmds,
                       const NamespaceRef* ns = nullptr) {
    RespondWorkflowTaskCompletedRequest req;
    req.set_task_token(wt.task_token());
    for (auto& c : cmds) *req.add_commands() = c;
    return engine_->RespondWorkflowTaskCompleted(ns ? *ns : ns_, req);
  }

  std::vector<HistoryEvent> Events(const std::string& id, const std::string& run = "",
                                   const NamespaceRef* ns = nullptr) {
    GetWorkflowExecutionHistoryRequest req;
    req.mutable_execution()->set_workflow_id(id);
    req.mutable_execution()->set_run_id(run);
    auto r = engine_->GetWorkflowExecutionHistory(ns ? *ns : ns_, req, absl::Now());
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<HistoryEvent> out;
    if (r.ok()) out.assign(r->history().events().begin(), r->history().events().end());
    return out;
  }

  // Long-polls the run's history until an event of `type` is in it; the event, or nullopt
  // after 10 s (or once the run closed without one).
  std::optional<HistoryEvent> WaitForEvent(const std::string& id, EventType type,
                                           const NamespaceRef* ns = nullptr) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    std::string token;
    while (absl::Now() < deadline) {
      GetWorkflowExecutionHistoryRequest req;
      req.mutable_execution()->set_workflow_id(id);
      req.set_wait_new_event(true);
      req.set_next_page_token(token);
      auto r = engine_->GetWorkflowExecutionHistory(ns ? *ns : ns_, req, deadline);
      if (!r.ok()) return std::nullopt;
      for (const auto& e : r->history().events()) {
        if (e.event_type() == type) return e;
      }
      token = r->next_page_token();
      if (token.empty()) return std::nullopt;
    }
    return std::nullopt;
  }

  static int Count(const std::vector<HistoryEvent>& events, EventType type) {
    int n = 0;
    for (const auto& e : events) n += e.event_type() == type;
    return n;
  }

  static Command StartChild(const std::string& id,
                            ParentClosePolicy policy = PARENT_CLOSE_POLICY_UNSPECIFIED,
                            const std::string& ns = "") {
    Command c;
    c.set_command_type(COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION);
    auto* a = c.mutable_start_child_workflow_execution_command_attributes();
    a->set_workflow_id(id);
    a->set_namespace_(ns);
    a->mutable_workflow_type()->set_name("Child");
    a->set_parent_close_policy(policy);
    a->mutable_input()->add_payloads()->set_data("7");
    return c;
  }
  static Command Complete(const std::string& data) {
    Command c;
    c.set_command_type(COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
    c.mutable_complete_workflow_execution_command_attributes()
        ->mutable_result()
        ->add_payloads()
        ->set_data(data);
    return c;
  }
  static Command Fail(const std::string& message) {
    Command c;
    c.set_command_type(COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION);
    c.mutable_fail_workflow_execution_command_attributes()->mutable_failure()->set_message(message);
    return c;
  }
  static Command Signal(const std::string& id, bool child_only = false) {
    Command c;
    c.set_command_type(COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION);
    auto* a = c.mutable_signal_external_workflow_execution_command_attributes();
    a->mutable_execution()->set_workflow_id(id);
    a->set_signal_name("go");
    a->mutable_input()->add_payloads()->set_data("1");
    a->set_control("c1");
    a->set_child_workflow_only(child_only);
    return c;
  }
  static Command CancelExternal(const std::string& id) {
    Command c;
    c.set_command_type(COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION);
    auto* a = c.mutable_request_cancel_external_workflow_execution_command_attributes();
    a->set_workflow_id(id);
    a->set_reason("no longer needed");
    return c;
  }

  // Starts parent `parent` with one child `child` (policy `policy`) and waits until the parent
  // recorded the child's start. Returns the child's run id.
  std::string StartParentWithChild(const std::string& parent, const std::string& child,
                                   ParentClosePolicy policy = PARENT_CLOSE_POLICY_UNSPECIFIED) {
    Start(parent);
    auto wt = StartWorkflowTask(parent);
    EXPECT_TRUE(Respond(wt, {StartChild(child, policy)}).ok());
    auto started = WaitForEvent(parent, EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED);
    EXPECT_TRUE(started.has_value());
    if (!started) return "";
    return started->child_workflow_execution_started_event_attributes()
        .workflow_execution()
        .run_id();
  }

  std::string dir_;
  SystemClock clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<FakeMatching> matching_;
  std::unique_ptr<HistoryEngine> engine_;
  NamespaceRef ns_{"ns-id", "ns"};
};

TEST_F(ChildWorkflowTest, StartChildRecordsInitiatedStartsTheChildAndRecordsStarted) {
  std::string parent_run = Start("parent");
  auto wt = StartWorkflowTask("parent");
  ASSERT_TRUE(Respond(wt, {StartChild("kid", PARENT_CLOSE_POLICY_ABANDON)}).ok());
  auto started = WaitForEvent("parent", EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED);
  ASSERT_TRUE(started.has_value());
  const auto& sa = started->child_workflow_execution_started_event_attributes();
  EXPECT_EQ(sa.workflow_execution().workflow_id(), "kid");
  EXPECT_EQ(sa.workflow_type().name(), "Child");
  EXPECT_EQ(sa.namespace_(), "ns");

  auto parent_events = Events("parent");
  ASSERT_EQ(Count(parent_events, EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED), 1);
  for (const auto& e : parent_events) {
    if (e.event_type() != EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) continue;
    EXPECT_EQ(sa.initiated_event_id(), e.event_id());
    const auto& ia = e.start_child_workflow_execution_initiated_event_attributes();
    EXPECT_EQ(ia.task_queue().name(), "q");  // the parent's, by default
    EXPECT_EQ(ia.parent_close_policy(), PARENT_CLOSE_POLICY_ABANDON);
  }

  // The child's first event names its parent; it runs on the parent's task queue.
  auto child_events = Events("kid", sa.workflow_execution().run_id());
  ASSERT_FALSE(child_events.empty());
  const auto& ca = child_events[0].workflow_execution_started_event_attributes();
  EXPECT_EQ(ca.parent_workflow_execution().workflow_id(), "parent");
  EXPECT_EQ(ca.parent_workflow_execution().run_id(), parent_run);
  EXPECT_EQ(ca.parent_workflow_namespace(), "ns");
  EXPECT_EQ(ca.parent_initiated_event_id(), sa.initiated_event_id());
  EXPECT_EQ(ca.input().payloads(0).data(), "7");

  // Describe shows the pending child, and the child's parent.
  WorkflowExecution pe;
  pe.set_workflow_id("parent");
  auto d = engine_->DescribeWorkflowExecution(ns_, pe);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->pending_children_size(), 1);
  EXPECT_EQ(d->pending_children(0).workflow_id(), "kid");
  EXPECT_EQ(d->pending_children(0).run_id(), sa.workflow_execution().run_id());
  EXPECT_EQ(d->pending_children(0).workflow_type_name(), "Child");
  EXPECT_EQ(d->pending_children(0).parent_close_policy(), PARENT_CLOSE_POLICY_ABANDON);
  WorkflowExecution ke;
  ke.set_workflow_id("kid");
  auto dk = engine_->DescribeWorkflowExecution(ns_, ke);
  ASSERT_TRUE(dk.ok());
  EXPECT_EQ(dk->workflow_execution_info().parent_execution().workflow_id(), "parent");
  EXPECT_EQ(dk->workflow_execution_info().parent_execution().run_id(), parent_run);
  EXPECT_EQ(dk->workflow_execution_info().parent_namespace(), "ns");
}

TEST_F(ChildWorkflowTest, ChildCompletionAndFailureReachTheParent) {
  StartParentWithChild("p1", "c1");
  auto cwt = StartWorkflowTask("c1");
  ASSERT_TRUE(Respond(cwt, {Complete("42")}).ok());
  auto done = WaitForEvent("p1", EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->child_workflow_execution_completed_event_attributes().result().payloads(0).data(),
            "42");
  EXPECT_EQ(done->child_workflow_execution_completed_event_attributes()
                .workflow_execution()
                .workflow_id(),
            "c1");

  StartParentWithChild("p2", "c2");
  auto cwt2 = StartWorkflowTask("c2");
  ASSERT_TRUE(Respond(cwt2, {Fail("boom")}).ok());
  auto failed = WaitForEvent("p2", EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->child_workflow_execution_failed_event_attributes().failure().message(), "boom");

  // Each outcome is recorded once, and the child is no longer pending.
  EXPECT_EQ(Count(Events("p1"), EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED), 1);
  WorkflowExecution pe;
  pe.set_workflow_id("p1");
  auto d = engine_->DescribeWorkflowExecution(ns_, pe);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->pending_children_size(), 0);
}

TEST_F(ChildWorkflowTest, TerminatedChildIsReportedAsTerminated) {
  StartParentWithChild("p", "c");
  TerminateWorkflowExecutionRequest req;
  req.mutable_workflow_execution()->set_workflow_id("c");
  req.set_reason("ops");
  ASSERT_TRUE(engine_->TerminateWorkflowExecution(ns_, req).ok());
  EXPECT_TRUE(WaitForEvent("p", EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED).has_value());
}

TEST_F(ChildWorkflowTest, ChildThatContinuesAsNewReportsFromItsLastRun) {
  StartParentWithChild("p", "c");
  auto cwt = StartWorkflowTask("c");
  Command can;
  can.set_command_type(COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
  can.mutable_continue_as_new_workflow_execution_command_attributes();
  ASSERT_TRUE(Respond(cwt, {can}).ok());
  auto cwt2 = StartWorkflowTask("c");  // the new run
  // Not reported yet: the chain goes on.
  EXPECT_EQ(Count(Events("p"), EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED), 0);
  ASSERT_TRUE(Respond(cwt2, {Complete("\"last\"")}).ok());
  auto done = WaitForEvent("p", EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->child_workflow_execution_completed_event_attributes().result().payloads(0).data(),
            "\"last\"");
}

TEST_F(ChildWorkflowTest, ChildIdInUseRecordsStartChildFailed) {
  Start("busy");
  Start("p");
  auto wt = StartWorkflowTask("p");
  ASSERT_TRUE(Respond(wt, {StartChild("busy")}).ok());
  auto failed = WaitForEvent("p", EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->start_child_workflow_execution_failed_event_attributes().cause(),
            START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS);
  EXPECT_EQ(failed->start_child_workflow_execution_failed_event_attributes().workflow_id(), "busy");
}

TEST_F(ChildWorkflowTest, ChildInUnknownNamespaceFailsAndKnownOneStarts) {
  Start("p");
  auto wt = StartWorkflowTask("p");
  ASSERT_TRUE(Respond(wt, {StartChild("c", PARENT_CLOSE_POLICY_UNSPECIFIED, "nowhere")}).ok());
  auto failed = WaitForEvent("p", EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->start_child_workflow_execution_failed_event_attributes().cause(),
            START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND);

  Start("p2");
  auto wt2 = StartWorkflowTask("p2");
  ASSERT_TRUE(Respond(wt2, {StartChild("c", PARENT_CLOSE_POLICY_UNSPECIFIED, "other")}).ok());
  auto started = WaitForEvent("p2", EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED);
  ASSERT_TRUE(started.has_value());
  NamespaceRef other{"other-id", "other"};
  auto child = Events("c", "", &other);
  ASSERT_FALSE(child.empty());
  EXPECT_EQ(child[0].workflow_execution_started_event_attributes().parent_workflow_namespace(),
            "ns");
}

TEST_F(ChildWorkflowTest, ParentClosePolicies) {
  // TERMINATE (the default), REQUEST_CANCEL and ABANDON, one parent each.
  StartParentWithChild("pt", "ct");
  StartParentWithChild("pc", "cc", PARENT_CLOSE_POLICY_REQUEST_CANCEL);
  StartParentWithChild("pa", "ca", PARENT_CLOSE_POLICY_ABANDON);
  for (const char* parent : {"pt", "pc", "pa"}) {
    auto wt = StartWorkflowTask(parent);  // the task that saw ChildWorkflowExecutionStarted
    ASSERT_TRUE(Respond(wt, {Complete("1")}).ok()) << parent;
  }
  auto terminated = WaitForEvent("ct", EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  ASSERT_TRUE(terminated.has_value());
  EXPECT_NE(terminated->workflow_execution_terminated_event_attributes().reason().find("TERMINATE"),
            std::string::npos);
  auto cancel = WaitForEvent("cc", EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
  ASSERT_TRUE(cancel.has_value());
  EXPECT_EQ(cancel->workflow_execution_cancel_requested_event_attributes()
                .external_workflow_execution()
                .workflow_id(),
            "pc");
  // The abandoned child runs on: complete its first task and it is still running.
  WorkflowExecution ca;
  ca.set_workflow_id("ca");
  auto d = engine_->DescribeWorkflowExecution(ns_, ca);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->workflow_execution_info().status(), WORKFLOW_EXECUTION_STATUS_RUNNING);
  // The canceled child is still running too (a cancel request is cooperative).
  WorkflowExecution cc;
  cc.set_workflow_id("cc");
  auto dc = engine_->DescribeWorkflowExecution(ns_, cc);
  ASSERT_TRUE(dc.ok());
  EXPECT_EQ(dc->workflow_execution_info().status(), WORKFLOW_EXECUTION_STATUS_RUNNING);
}

TEST_F(ChildWorkflowTest, SignalExternalDeliversAndRecordsSignaled) {
  std::string target_run = Start("target");
  Start("src");
  auto wt = StartWorkflowTask("src");
  ASSERT_TRUE(Respond(wt, {Signal("target")}).ok());
  auto done = WaitForEvent("src", EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->external_workflow_execution_signaled_event_attributes().control(), "c1");
  EXPECT_EQ(
      done->external_workflow_execution_signaled_event_attributes().workflow_execution().run_id(),
      target_run);
  auto sig = WaitForEvent("target", EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  ASSERT_TRUE(sig.has_value());
  const auto& a = sig->workflow_execution_signaled_event_attributes();
  EXPECT_EQ(a.signal_name(), "go");
  EXPECT_EQ(a.input().payloads(0).data(), "1");
  EXPECT_EQ(a.external_workflow_execution().workflow_id(), "src");
  EXPECT_EQ(a.external_workflow_namespace(), "ns");
  EXPECT_EQ(Count(Events("target"), EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED), 1);
}

TEST_F(ChildWorkflowTest, SignalAndCancelToAMissingTargetRecordFailed) {
  Start("src");
  auto wt = StartWorkflowTask("src");
  ASSERT_TRUE(Respond(wt, {Signal("ghost"), CancelExternal("ghost")}).ok());
  auto sf = WaitForEvent("src", EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED);
  ASSERT_TRUE(sf.has_value());
  EXPECT_EQ(sf->signal_external_workflow_execution_failed_event_attributes().cause(),
            SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND);
  EXPECT_EQ(sf->signal_external_workflow_execution_failed_event_attributes().control(), "c1");
  auto cf = WaitForEvent("src", EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED);
  ASSERT_TRUE(cf.has_value());
  EXPECT_EQ(cf->request_cancel_external_workflow_execution_failed_event_attributes().cause(),
            CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND);
}

TEST_F(ChildWorkflowTest, ChildOnlySignalRefusesAWorkflowThatIsNotAChild) {
  Start("stranger");
  Start("src");
  auto wt = StartWorkflowTask("src");
  ASSERT_TRUE(Respond(wt, {Signal("stranger", /*child_only=*/true)}).ok());
  auto sf = WaitForEvent("src", EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED);
  ASSERT_TRUE(sf.has_value());
  EXPECT_EQ(Count(Events("stranger"), EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED), 0);
}

TEST_F(ChildWorkflowTest, RequestCancelExternalDeliversACancelRequest) {
  Start("target");
  Start("src");
  auto wt = StartWorkflowTask("src");
  ASSERT_TRUE(Respond(wt, {CancelExternal("target")}).ok());
  ASSERT_TRUE(WaitForEvent("src", EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED));
  auto req = WaitForEvent("target", EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
  ASSERT_TRUE(req.has_value());
  const auto& a = req->workflow_execution_cancel_requested_event_attributes();
  EXPECT_EQ(a.cause(), "no longer needed");
  EXPECT_EQ(a.external_workflow_execution().workflow_id(), "src");
  EXPECT_GT(a.external_initiated_event_id(), 0);
}

TEST_F(ChildWorkflowTest, BadChildCommandsFailTheWorkflowTaskWithAClearMessage) {
  Start("p");
  auto wt = StartWorkflowTask("p");
  Command no_id = StartChild("");
  absl::Status s = Respond(wt, {no_id});
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(std::string(s.message()).find("workflow_id must be 1 to 1000 bytes"), std::string::npos)
      << s;
  auto wt2 = StartWorkflowTask("p");
  s = Respond(wt2, {StartChild("same"), StartChild("same")});
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(std::string(s.message()).find("is used by another child"), std::string::npos) << s;
  auto wt3 = StartWorkflowTask("p");
  s = Respond(wt3, {StartChild("p")});
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
}

TEST_F(ChildWorkflowTest, MoreThan2000PendingChildrenIsABadCommand) {
  Start("p");
  auto wt = StartWorkflowTask("p");
  std::vector<Command> cmds;
  for (int i = 0; i < 2001; ++i) cmds.push_back(StartChild("c-" + std::to_string(i)));
  absl::Status s = Respond(wt, cmds);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(std::string(s.message()).find("too many pending child workflows: at most 2000"),
            std::string::npos)
      << s;
  EXPECT_EQ(Count(Events("p"), EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED), 0);
}

// A transfer task that runs again (a crash after its effect, before its ack) changes
// nothing: the child is not started twice and the parent records one start.
TEST_F(ChildWorkflowTest, RepeatedStartChildTaskIsANoOp) {
  std::string child_run = StartParentWithChild("p", "c");
  int64_t initiated = 0;
  for (const auto& e : Events("p")) {
    if (e.event_type() == EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) {
      initiated = e.event_id();
    }
  }
  std::string p_run =
      Events("p")[0].workflow_execution_started_event_attributes().original_execution_run_id();
  engine_.reset();
  matching_.reset();
  // Put the task back as if its ack had been lost, and restart.
  internal::TransferTask t;
  t.set_task_id(1);
  t.set_namespace_id(ns_.id);
  t.set_namespace_name(ns_.name);
  t.set_workflow_id("p");
  t.set_run_id(p_run);
  t.set_type(internal::TRANSFER_TASK_TYPE_START_CHILD_EXECUTION);
  t.set_scheduled_event_id(initiated);
  t.set_target_namespace_id(ns_.id);
  t.set_target_workflow_id("c");
  int shard = keys::ShardFor(ns_.id, "p", 4);
  storage::Batch b;
  b.Put(storage::Cf::kTransferTasks, keys::TransferTask(shard, t.task_id()), t.SerializeAsString());
  ASSERT_TRUE(store_->Write(b, true).ok());
  store_.reset();
  OpenEngine();
  // Wait (bounded) until the re-run task was handled and deleted.
  bool pending = true;
  for (absl::Time deadline = absl::Now() + absl::Seconds(10); pending && absl::Now() < deadline;) {
    auto v = store_->Get(storage::Cf::kTransferTasks, keys::TransferTask(shard, 1));
    pending = v.ok();
    if (pending) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(pending) << "the repeated transfer task was not handled";
  EXPECT_EQ(Count(Events("p"), EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED), 1);
  WorkflowExecution ce;
  ce.set_workflow_id("c");
  auto d = engine_->DescribeWorkflowExecution(ns_, ce);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->workflow_execution_info().execution().run_id(), child_run);
}

TEST_F(ChildWorkflowTest, ChildInheritsItsParentsPriority) {
  StartWorkflowExecutionRequest req;
  req.set_workflow_id("urgent-parent");
  req.mutable_workflow_type()->set_name("Wf");
  req.mutable_task_queue()->set_name("q");
  req.set_priority(1);
  ASSERT_TRUE(engine_->StartWorkflowExecution(ns_, req, nullptr).ok());
  auto wt = StartWorkflowTask("urgent-parent");
  ASSERT_TRUE(Respond(wt, {StartChild("urgent-kid")}).ok());
  auto started = WaitForEvent("urgent-parent", EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED);
  ASSERT_TRUE(started.has_value());
  auto child_events = Events("urgent-kid");
  ASSERT_FALSE(child_events.empty());
  EXPECT_EQ(child_events[0].workflow_execution_started_event_attributes().priority(), 1);
  auto t = matching_->NextOf(internal::TASK_KIND_WORKFLOW,
                             "urgent-kid");  // its workflow task, at the inherited priority
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->priority(), 1);
}

}  // namespace
}  // namespace weft::history
