// Unit tests of the W3C trace context the history engine keeps: the events that start work
// carry the span of the request that wrote them (the thread's ScopedTrace, as the frontend
// opens one per RPC), poll responses hand the run's and the activity's context to workers,
// and work done on queue threads (starting a child) continues the stored context. Real store
// in a temporary directory; matching is replaced by a fake that records the tasks it is given.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>

#include "server/common/proto_time.h"
#include "server/history/history_engine.h"
#include "server/history/testing/engine_test_fixture.h"
#include "server/history/trace_context_util.h"
#include "server/matching/matching_engine.h"
#include "telemetry/scoped_trace.h"

namespace weft::history {
namespace {

using namespace api::v1;  // NOLINT: test brevity
using telemetry::ScopedTrace;
using telemetry::TraceParent;

std::string TraceIdOf(const TraceContext& tc) {
  auto p = TraceParent::Parse(tc.traceparent());
  return p ? p->TraceIdHex() : "";
}

using RecordingMatching = test_support::RecordingMatchingEngine;

class TraceContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = test_support::OpenTempStore("weft-trace-test", &dir_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    matching_ = std::make_unique<RecordingMatching>(store_.get());
    HistoryEngine::Options opts;
    opts.num_shards = 4;
    engine_ =
        std::make_unique<HistoryEngine>(store_.get(), matching_.get(), &clock_, nullptr, opts);
    ASSERT_TRUE(engine_->Start().ok());
  }
  void TearDown() override {
    engine_.reset();
    matching_.reset();
    store_.reset();
    test_support::RemoveTempDir(dir_);
  }

  std::string Start(const std::string& id) {
    StartWorkflowExecutionRequest req;
    req.set_workflow_id(id);
    req.mutable_workflow_type()->set_name("Wf");
    req.mutable_task_queue()->set_name("q");
    auto r = engine_->StartWorkflowExecution(ns_, req, nullptr);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->run_id() : "";
  }

  PollWorkflowTaskQueueResponse StartWorkflowTask(const std::string& id) {
    auto t = matching_->NextOf(internal::TASK_KIND_WORKFLOW, id);
    EXPECT_TRUE(t.has_value()) << "no workflow task for " << id;
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

  std::vector<HistoryEvent> Events(const std::string& id, const std::string& run = "") {
    GetWorkflowExecutionHistoryRequest req;
    req.mutable_execution()->set_workflow_id(id);
    req.mutable_execution()->set_run_id(run);
    auto r = engine_->GetWorkflowExecutionHistory(ns_, req, absl::Now());
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<HistoryEvent> out;
    if (r.ok()) out.assign(r->history().events().begin(), r->history().events().end());
    return out;
  }

  static std::optional<HistoryEvent> Find(const std::vector<HistoryEvent>& events, EventType type) {
    for (const auto& e : events) {
      if (e.event_type() == type) return e;
    }
    return std::nullopt;
  }

  // Long-polls the run's history until an event of `type` is in it (nullopt after 10 s).
  std::optional<HistoryEvent> WaitForEvent(const std::string& id, EventType type) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    std::string token;
    while (absl::Now() < deadline) {
      GetWorkflowExecutionHistoryRequest req;
      req.mutable_execution()->set_workflow_id(id);
      req.set_wait_new_event(true);
      req.set_next_page_token(token);
      auto r = engine_->GetWorkflowExecutionHistory(ns_, req, deadline);
      if (!r.ok()) return std::nullopt;
      for (const auto& e : r->history().events()) {
        if (e.event_type() == type) return e;
      }
      token = r->next_page_token();
      if (token.empty()) return std::nullopt;
    }
    return std::nullopt;
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
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<RecordingMatching> matching_;
  std::unique_ptr<HistoryEngine> engine_;
  NamespaceRef ns_{"ns-id", "ns"};
};

TEST_F(TraceContextTest, StartSignalCancelAndTerminateCarryTheirRequestsSpans) {
  const TraceParent start_span = TraceParent::NewRoot();
  {
    ScopedTrace scope(start_span, "vendor=1");
    Start("wf");
  }
  auto wt = StartWorkflowTask("wf");
  // The run's context goes to the worker, whoever polls.
  EXPECT_EQ(wt.trace_context().traceparent(), start_span.ToString());
  EXPECT_EQ(wt.trace_context().tracestate(), "vendor=1");

  const TraceParent signal_span = TraceParent::NewRoot();
  {
    ScopedTrace scope(signal_span);
    SignalWorkflowExecutionRequest req;
    req.mutable_workflow_execution()->set_workflow_id("wf");
    req.set_signal_name("s");
    ASSERT_TRUE(engine_->SignalWorkflowExecution(ns_, req).ok());
  }
  const TraceParent cancel_span = TraceParent::NewRoot();
  {
    ScopedTrace scope(cancel_span);
    RequestCancelWorkflowExecutionRequest req;
    req.mutable_workflow_execution()->set_workflow_id("wf");
    ASSERT_TRUE(engine_->RequestCancelWorkflowExecution(ns_, req).ok());
  }
  ASSERT_TRUE(Respond(wt, {}).ok());  // flushes the buffered signal and cancel request
  const TraceParent terminate_span = TraceParent::NewRoot();
  {
    ScopedTrace scope(terminate_span);
    TerminateWorkflowExecutionRequest req;
    req.mutable_workflow_execution()->set_workflow_id("wf");
    ASSERT_TRUE(engine_->TerminateWorkflowExecution(ns_, req).ok());
  }

  auto events = Events("wf");
  auto started = Find(events, EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  auto signaled = Find(events, EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  auto cancel = Find(events, EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
  auto terminated = Find(events, EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  ASSERT_TRUE(started && signaled && cancel && terminated);
  EXPECT_EQ(started->trace_context().traceparent(), start_span.ToString());
  EXPECT_EQ(started->trace_context().tracestate(), "vendor=1");
  EXPECT_EQ(signaled->trace_context().traceparent(), signal_span.ToString());
  EXPECT_EQ(cancel->trace_context().traceparent(), cancel_span.ToString());
  EXPECT_EQ(terminated->trace_context().traceparent(), terminate_span.ToString());
  // Events that start no work carry none.
  auto scheduled = Find(events, EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  ASSERT_TRUE(scheduled);
  EXPECT_FALSE(scheduled->has_trace_context());
}

TEST_F(TraceContextTest, ActivityCarriesTheSpanOfTheWorkflowCodeThatScheduledIt) {
  const TraceParent start_span = TraceParent::NewRoot();
  {
    ScopedTrace scope(start_span);
    Start("wf");
  }
  auto wt = StartWorkflowTask("wf");
  const TraceParent worker_span = start_span.NewChild();  // the worker's completion RPC
  {
    ScopedTrace scope(worker_span);
    ASSERT_TRUE(Respond(wt, {Activity("a1")}).ok());
  }
  auto scheduled = Find(Events("wf"), EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
  ASSERT_TRUE(scheduled);
  EXPECT_EQ(scheduled->trace_context().traceparent(), worker_span.ToString());

  auto task = matching_->NextOf(internal::TASK_KIND_ACTIVITY, "wf");
  ASSERT_TRUE(task.has_value());
  // The poll's own span is a different trace: the response carries the activity's.
  ScopedTrace poller(TraceParent::NewRoot());
  auto at = engine_->RecordActivityTaskStarted(ns_, *task, "w");
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_EQ(at->trace_context().traceparent(), worker_span.ToString());
  EXPECT_EQ(TraceIdOf(at->trace_context()), start_span.TraceIdHex());
}

TEST_F(TraceContextTest, WithoutATraceNothingIsWritten) {
  Start("wf");
  auto wt = StartWorkflowTask("wf");
  EXPECT_FALSE(wt.has_trace_context());
  ASSERT_TRUE(Respond(wt, {Activity("a1")}).ok());
  for (const auto& e : Events("wf")) {
    EXPECT_FALSE(e.has_trace_context()) << EventType_Name(e.event_type());
  }
  auto task = matching_->NextOf(internal::TASK_KIND_ACTIVITY, "wf");
  ASSERT_TRUE(task.has_value());
  auto at = engine_->RecordActivityTaskStarted(ns_, *task, "w");
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_FALSE(at->has_trace_context());
}

TEST_F(TraceContextTest, ContinueAsNewKeepsTheStartsTrace) {
  const TraceParent start_span = TraceParent::NewRoot();
  std::string first_run;
  {
    ScopedTrace scope(start_span);
    first_run = Start("wf");
  }
  auto wt = StartWorkflowTask("wf");
  Command can;
  can.set_command_type(COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
  can.mutable_continue_as_new_workflow_execution_command_attributes()
      ->mutable_workflow_type()
      ->set_name("Wf");
  {
    ScopedTrace scope(TraceParent::NewRoot());  // a worker span of some other trace
    ASSERT_TRUE(Respond(wt, {can}).ok());
  }
  auto next = StartWorkflowTask("wf");
  ASSERT_NE(next.workflow_execution().run_id(), first_run);
  EXPECT_EQ(next.trace_context().traceparent(), start_span.ToString());
  auto started =
      Find(Events("wf", next.workflow_execution().run_id()), EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  ASSERT_TRUE(started);
  EXPECT_EQ(started->trace_context().traceparent(), start_span.ToString());
}

TEST_F(TraceContextTest, ChildStartOnTheQueueThreadContinuesTheInitiatorsTrace) {
  Start("parent");
  auto wt = StartWorkflowTask("parent");
  const TraceParent worker_span = TraceParent::NewRoot();
  Command c;
  c.set_command_type(COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION);
  auto* a = c.mutable_start_child_workflow_execution_command_attributes();
  a->set_workflow_id("child");
  a->mutable_workflow_type()->set_name("Child");
  {
    ScopedTrace scope(worker_span);
    ASSERT_TRUE(Respond(wt, {c}).ok());
  }
  auto initiated = Find(Events("parent"), EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED);
  ASSERT_TRUE(initiated);
  EXPECT_EQ(initiated->trace_context().traceparent(), worker_span.ToString());

  ASSERT_TRUE(WaitForEvent("parent", EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED));
  auto child_started = Find(Events("child"), EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  ASSERT_TRUE(child_started);
  // Same trace, a span of its own (the queue's work), whose parent is not this thread's.
  EXPECT_EQ(TraceIdOf(child_started->trace_context()), worker_span.TraceIdHex());
  EXPECT_NE(child_started->trace_context().traceparent(), worker_span.ToString());
  EXPECT_EQ(telemetry::CurrentTrace(), nullptr);
  auto child_task = StartWorkflowTask("child");
  EXPECT_EQ(child_task.trace_context().traceparent(), child_started->trace_context().traceparent());
}

TEST(TraceContextUtilTest, MalformedStoredContextOpensNothing) {
  std::optional<ScopedTrace> scope;
  TraceContext tc;
  ContinueStoredTrace(tc, scope);
  EXPECT_FALSE(scope.has_value());
  tc.set_traceparent("00-not-a-trace");
  ContinueStoredTrace(tc, scope);
  EXPECT_FALSE(scope.has_value());
  EXPECT_TRUE(CurrentTraceContext().traceparent().empty());
  tc.set_traceparent(TraceParent::NewRoot().ToString());
  ContinueStoredTrace(tc, scope);
  ASSERT_TRUE(scope.has_value());
  EXPECT_EQ(CurrentTraceContext().traceparent(), scope->trace().ToString());
  HistoryEvent e;
  StampTrace(&e);
  EXPECT_EQ(TraceIdOf(e.trace_context()), TraceIdOf(tc));
}

}  // namespace
}  // namespace weft::history
