// Sticky execution through the worker SDK against a real server in-process (real RocksDB,
// real gRPC on a port the OS picked): tasks after the first carry only the new events and
// continue the cached run; results and recorded commands equal a run with sticky execution
// off; an evicted run is reset to the normal queue; a sticky task of a run the worker does not
// have falls back to the whole history; shutdown hands the cached runs back.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "server/app/weft_server.h"
#include "tests/support/in_process_server.h"
#include "tests/support/temp_dir.h"
#include "weft/client.h"
#include "weft/worker.h"
#include "weft/workflow.h"

namespace {

using namespace std::chrono_literals;
using weft::api::v1::EventType;

int AddOne(int x) { return x + 1; }

// Sequential activities, a version marker, a timer and a side effect.
weft::Workflow<std::string> Steps(weft::WorkflowContext& ctx, int n) {
  int version = ctx.GetVersion("steps", 0, 2);
  int v = 0;
  for (int i = 0; i < n; ++i) {
    v = co_await ctx.ExecuteActivity<int>("AddOne", {.start_to_close = 10s}, v);
  }
  co_await ctx.Sleep(20ms);
  std::string tag = ctx.SideEffect<std::string>([] { return std::string("tag"); });
  co_return std::to_string(v) + "/v" + std::to_string(version) + "/" + tag;
}

weft::Workflow<std::string> WaitForApproval(weft::WorkflowContext& ctx) {
  auto by = co_await ctx.GetSignalChannel("approve").Receive<std::string>();
  co_return "approved by " + by;
}

class StickyTest : public weft::testing::InProcessServerTest {
 protected:
  weft::Worker& AddWorker(weft::WorkerOptions options, bool start = true) {
    workers_.push_back(std::make_unique<weft::Worker>(*client_, std::move(options)));
    weft::Worker& w = *workers_.back();
    w.RegisterWorkflow("Steps", Steps);
    w.RegisterWorkflow("WaitForApproval", WaitForApproval);
    w.RegisterActivity("AddOne", AddOne);
    if (start) EXPECT_TRUE(w.Start().ok());
    return w;
  }

  std::vector<weft::api::v1::HistoryEvent> History(const std::string& workflow_id) {
    std::vector<weft::api::v1::HistoryEvent> out;
    weft::api::v1::GetWorkflowExecutionHistoryRequest req;
    req.set_namespace_("default");
    req.mutable_execution()->set_workflow_id(workflow_id);
    for (;;) {
      grpc::ClientContext ctx;
      weft::api::v1::GetWorkflowExecutionHistoryResponse resp;
      grpc::Status s = client_->stub().GetWorkflowExecutionHistory(&ctx, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& e : resp.history().events()) out.push_back(e);
      if (resp.next_page_token().empty() || resp.history().events_size() == 0) break;
      req.set_next_page_token(resp.next_page_token());
    }
    return out;
  }

  // The events the workflow's commands produced, without ids and times: what both runs of
  // the same workflow must have recorded alike.
  std::vector<std::string> CommandEvents(const std::string& workflow_id) {
    std::vector<std::string> out;
    for (auto e : History(workflow_id)) {
      switch (e.event_type()) {
        case EventType::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
          e.mutable_activity_task_scheduled_event_attributes()->clear_task_queue();
          e.mutable_activity_task_scheduled_event_attributes()
              ->clear_workflow_task_completed_event_id();
          break;
        case EventType::EVENT_TYPE_TIMER_STARTED:
          e.mutable_timer_started_event_attributes()->clear_workflow_task_completed_event_id();
          break;
        case EventType::EVENT_TYPE_MARKER_RECORDED:
          e.mutable_marker_recorded_event_attributes()->clear_workflow_task_completed_event_id();
          break;
        case EventType::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
          e.mutable_workflow_execution_completed_event_attributes()
              ->clear_workflow_task_completed_event_id();
          break;
        default:
          continue;
      }
      e.clear_event_id();
      e.clear_trace_context();  // each run has its own trace
      e.clear_event_time();
      out.push_back(e.ShortDebugString());
    }
    return out;
  }

  // Waits (bounded) until the run has recorded `n` completed workflow tasks.
  bool WaitForCompletedTasks(const std::string& workflow_id, int n) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      int done = 0;
      for (const auto& e : History(workflow_id)) {
        if (e.event_type() == EventType::EVENT_TYPE_WORKFLOW_TASK_COMPLETED) ++done;
      }
      if (done >= n) return true;
      // Long-poll the history for the next event instead of spinning.
      weft::api::v1::GetWorkflowExecutionHistoryRequest req;
      req.set_namespace_("default");
      req.mutable_execution()->set_workflow_id(workflow_id);
      req.set_wait_new_event(true);
      req.set_next_page_token(std::to_string(History(workflow_id).size() + 1));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + 2s);
      weft::api::v1::GetWorkflowExecutionHistoryResponse resp;
      (void)client_->stub().GetWorkflowExecutionHistory(&ctx, req, &resp);
    }
    return false;
  }
};

TEST_F(StickyTest, TasksAfterTheFirstCarryOnlyNewEventsAndMatchANonStickyRun) {
  weft::Worker& sticky = AddWorker({.task_queue = "sticky-q"});
  weft::Worker& plain = AddWorker({.task_queue = "plain-q", .max_cached_workflows = 0});
  EXPECT_FALSE(sticky.sticky_task_queue().empty());
  EXPECT_TRUE(plain.sticky_task_queue().empty());

  auto a = client_->StartWorkflow("Steps", {.id = "steps-sticky", .task_queue = "sticky-q"}, 10);
  auto b = client_->StartWorkflow("Steps", {.id = "steps-plain", .task_queue = "plain-q"}, 10);
  ASSERT_TRUE(a.ok() && b.ok());
  auto ra = client_->GetResult<std::string>("steps-sticky", "", 60s);
  auto rb = client_->GetResult<std::string>("steps-plain", "", 60s);
  ASSERT_TRUE(ra.ok()) << ra.status();
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_EQ(*ra, "10/v2/tag");
  EXPECT_EQ(*ra, *rb);
  std::vector<std::string> sticky_commands = CommandEvents("steps-sticky");
  // The version marker, 10 activities, the timer, the side-effect marker, the completion.
  EXPECT_EQ(sticky_commands.size(), 14u);
  EXPECT_EQ(sticky_commands, CommandEvents("steps-plain"));

  // 12 workflow tasks: the first with the whole history, the other 11 from the cache.
  weft::StickyStats s = sticky.sticky_stats();
  EXPECT_EQ(s.full_history_tasks, 1);
  EXPECT_EQ(s.partial_history_tasks, 11);
  EXPECT_EQ(s.cache_hits, 11);
  EXPECT_EQ(s.cache_misses, 0);
  weft::StickyStats p = plain.sticky_stats();
  EXPECT_EQ(p.full_history_tasks, 12);
  EXPECT_EQ(p.partial_history_tasks, 0);
}

TEST_F(StickyTest, AnEvictedRunIsResetSoItsNextTaskComesWithTheWholeHistory) {
  weft::Worker& w = AddWorker({.task_queue = "small-cache",
                               .max_cached_workflows = 1,
                               .sticky_schedule_to_start_timeout = 60s});
  ASSERT_TRUE(
      client_->StartWorkflow("WaitForApproval", {.id = "e-1", .task_queue = "small-cache"}).ok());
  ASSERT_TRUE(WaitForCompletedTasks("e-1", 1));
  ASSERT_TRUE(
      client_->StartWorkflow("WaitForApproval", {.id = "e-2", .task_queue = "small-cache"}).ok());
  ASSERT_TRUE(WaitForCompletedTasks("e-2", 1));  // e-1 evicted, and reset on the server
  EXPECT_EQ(w.sticky_stats().evictions, 1);

  // Without the reset e-1's task would wait 60 s on the sticky queue, past GetResult's 30 s.
  ASSERT_TRUE(client_->Signal("e-1", "", "approve", std::string("ann")).ok());
  auto r1 = client_->GetResult<std::string>("e-1", "", 30s);
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_EQ(*r1, "approved by ann");
  ASSERT_TRUE(client_->Signal("e-2", "", "approve", std::string("bob")).ok());
  auto r2 = client_->GetResult<std::string>("e-2", "", 30s);
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ(*r2, "approved by bob");
  // e-1 came back through the normal queue with its whole history; it then closed, so e-2
  // stayed cached and continued from the cache.
  weft::StickyStats s = w.sticky_stats();
  EXPECT_EQ(s.full_history_tasks, 3);
  EXPECT_EQ(s.partial_history_tasks, 1);
  EXPECT_EQ(s.cache_hits, 1);
  EXPECT_EQ(s.evictions, 1);
}

TEST_F(StickyTest, AStickyTaskOfARunNotInTheCacheReplaysTheFetchedHistory) {
  // The worker is created (its sticky queue named) but not started yet: the test answers the
  // run's first task itself, naming that worker's queue as the sticky one.
  weft::Worker& w = AddWorker({.task_queue = "miss-q"}, /*start=*/false);
  ASSERT_TRUE(
      client_->StartWorkflow("WaitForApproval", {.id = "m-1", .task_queue = "miss-q"}).ok());
  weft::api::v1::PollWorkflowTaskQueueRequest poll;
  poll.set_namespace_("default");
  poll.mutable_task_queue()->set_name("miss-q");
  poll.set_identity("test");
  weft::api::v1::PollWorkflowTaskQueueResponse task;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 30s);
    ASSERT_TRUE(client_->stub().PollWorkflowTaskQueue(&ctx, poll, &task).ok());
    ASSERT_FALSE(task.task_token().empty());
  }
  weft::api::v1::RespondWorkflowTaskCompletedRequest done;
  done.set_namespace_("default");
  done.set_task_token(task.task_token());
  done.set_identity("test");
  done.mutable_sticky_attributes()->mutable_worker_task_queue()->set_name(w.sticky_task_queue());
  done.mutable_sticky_attributes()->mutable_worker_task_queue()->set_kind(
      weft::api::v1::TASK_QUEUE_KIND_STICKY);
  {
    grpc::ClientContext ctx;
    weft::api::v1::RespondWorkflowTaskCompletedResponse resp;
    ASSERT_TRUE(client_->stub().RespondWorkflowTaskCompleted(&ctx, done, &resp).ok());
  }
  ASSERT_TRUE(w.Start().ok());
  ASSERT_TRUE(client_->Signal("m-1", "", "approve", std::string("cy")).ok());
  auto r = client_->GetResult<std::string>("m-1", "", 30s);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "approved by cy");
  weft::StickyStats s = w.sticky_stats();
  EXPECT_EQ(s.partial_history_tasks, 1);
  EXPECT_EQ(s.cache_misses, 1);
  EXPECT_EQ(s.cache_hits, 0);
}

TEST_F(StickyTest, ShutdownHandsTheCachedRunsBackToTheNormalQueue) {
  weft::Worker& first =
      AddWorker({.task_queue = "handover", .sticky_schedule_to_start_timeout = 60s});
  ASSERT_TRUE(
      client_->StartWorkflow("WaitForApproval", {.id = "h-1", .task_queue = "handover"}).ok());
  ASSERT_TRUE(WaitForCompletedTasks("h-1", 1));
  first.Shutdown();  // resets h-1: its next task must not wait 60 s for a gone worker
  weft::Worker& second = AddWorker({.task_queue = "handover"});
  ASSERT_TRUE(client_->Signal("h-1", "", "approve", std::string("dee")).ok());
  auto r = client_->GetResult<std::string>("h-1", "", 30s);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "approved by dee");
  EXPECT_EQ(second.sticky_stats().full_history_tasks, 1);
}

TEST_F(StickyTest, BadStickyAttributesAreRefusedWithAClearError) {
  weft::api::v1::RespondWorkflowTaskCompletedRequest req;
  req.set_namespace_("default");
  req.set_task_token("whatever");
  *req.mutable_sticky_attributes()->mutable_schedule_to_start_timeout() =
      google::protobuf::Duration();
  req.mutable_sticky_attributes()->mutable_schedule_to_start_timeout()->set_seconds(-1);
  grpc::ClientContext ctx;
  weft::api::v1::RespondWorkflowTaskCompletedResponse resp;
  grpc::Status s = client_->stub().RespondWorkflowTaskCompleted(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("schedule_to_start_timeout"), std::string::npos)
      << s.error_message();

  weft::api::v1::ResetStickyTaskQueueRequest reset;
  reset.set_namespace_("default");
  reset.mutable_execution()->set_workflow_id("no-such-workflow");
  grpc::ClientContext ctx2;
  weft::api::v1::ResetStickyTaskQueueResponse reset_resp;
  EXPECT_EQ(client_->stub().ResetStickyTaskQueue(&ctx2, reset, &reset_resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
