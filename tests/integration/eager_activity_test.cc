// Eager activity dispatch end to end in one process: a real server (real RocksDB, real gRPC
// on a port the OS picked) and SDK workers. A worker that runs both the workflow and its
// activities gets every activity back in its workflow-task answers, so none goes through
// matching; with the option off, or with the activities on another worker, all do.
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

namespace v1 = weft::api::v1;
using namespace std::chrono_literals;

int AddOne(int x) { return x + 1; }

// Three activities one after another: the answer to each workflow task schedules the next.
weft::Workflow<int> ThreeSteps(weft::WorkflowContext& ctx, int x) {
  for (int i = 0; i < 3; ++i) {
    x = co_await ctx.ExecuteActivity<int>("AddOne", {.start_to_close = 30s}, x);
  }
  co_return x;
}

class EagerActivityTest : public weft::testing::InProcessServerTest {
 protected:
  weft::Worker& StartWorker(weft::WorkerOptions options, bool workflows, bool activities) {
    workers_.push_back(std::make_unique<weft::Worker>(*client_, std::move(options)));
    weft::Worker& w = *workers_.back();
    if (workflows) w.RegisterWorkflow("ThreeSteps", ThreeSteps);
    if (activities) w.RegisterActivity("AddOne", AddOne);
    EXPECT_TRUE(w.Start().ok());
    return w;
  }

  // Runs `n` ThreeSteps workflows on `queue` one after another and checks each result.
  void RunWorkflows(const std::string& queue, int n) {
    for (int i = 0; i < n; ++i) {
      std::string id = queue + "-" + std::to_string(i);
      auto run = client_->StartWorkflow("ThreeSteps", {.id = id, .task_queue = queue}, 10 * i);
      ASSERT_TRUE(run.ok()) << run.status();
      auto r = client_->GetResult<int>(id, "", 60s);
      ASSERT_TRUE(r.ok()) << id << ": " << r.status();
      EXPECT_EQ(*r, 10 * i + 3) << id;
    }
  }

  v1::DescribeTaskQueueResponse DescribeActivityQueue(const std::string& queue) {
    v1::DescribeTaskQueueRequest req;
    req.set_namespace_("default");
    req.mutable_task_queue()->set_name(queue);
    req.set_task_queue_type(v1::TASK_QUEUE_TYPE_ACTIVITY);
    v1::DescribeTaskQueueResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    grpc::Status s = client_->stub().DescribeTaskQueue(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  // The ActivityTaskStarted events of a run, with the identity that started each.
  std::vector<std::string> ActivityStarters(const std::string& workflow_id) {
    std::vector<std::string> out;
    v1::GetWorkflowExecutionHistoryRequest req;
    req.set_namespace_("default");
    req.mutable_execution()->set_workflow_id(workflow_id);
    v1::GetWorkflowExecutionHistoryResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    grpc::Status s = client_->stub().GetWorkflowExecutionHistory(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const auto& e : resp.history().events()) {
      if (e.event_type() == v1::EVENT_TYPE_ACTIVITY_TASK_STARTED) {
        out.push_back(e.activity_task_started_event_attributes().identity());
      }
    }
    return out;
  }
};

TEST_F(EagerActivityTest, EveryActivityComesBackInTheWorkflowTaskAnswer) {
  weft::Worker& w = StartWorker({.task_queue = "eager-on", .identity = "both"}, true, true);
  RunWorkflows("eager-on", 4);
  EXPECT_EQ(w.eager_activity_tasks(), 12);
  v1::DescribeTaskQueueResponse d = DescribeActivityQueue("eager-on");
  // The worker's activity pollers were there all along, yet matching handed out nothing.
  ASSERT_GE(d.pollers_size(), 1);
  EXPECT_EQ(d.pollers(0).identity(), "both");
  EXPECT_EQ(d.task_queue_status().tasks_dispatched(), 0);
  EXPECT_EQ(d.task_queue_status().backlog_count_hint(), 0);
  EXPECT_EQ(ActivityStarters("eager-on-3"), (std::vector<std::string>{"both", "both", "both"}));
}

TEST_F(EagerActivityTest, WithTheOptionOffEveryActivityGoesThroughMatching) {
  weft::Worker& w =
      StartWorker({.task_queue = "eager-off", .identity = "both", .disable_eager_activities = true},
                  true, true);
  RunWorkflows("eager-off", 2);
  EXPECT_EQ(w.eager_activity_tasks(), 0);
  EXPECT_EQ(DescribeActivityQueue("eager-off").task_queue_status().tasks_dispatched(), 6);
}

TEST_F(EagerActivityTest, AWorkerWithoutTheActivityLeavesItToTheQueue) {
  // The workflow worker cannot run AddOne: it asks for nothing, and the activity worker
  // polls every activity from the queue.
  weft::Worker& wf = StartWorker({.task_queue = "split", .identity = "workflows"}, true, false);
  weft::Worker& act = StartWorker({.task_queue = "split", .identity = "activities"}, false, true);
  RunWorkflows("split", 1);
  EXPECT_EQ(wf.eager_activity_tasks(), 0);
  EXPECT_EQ(act.eager_activity_tasks(), 0);
  EXPECT_EQ(DescribeActivityQueue("split").task_queue_status().tasks_dispatched(), 3);
  EXPECT_EQ(ActivityStarters("split-0"),
            (std::vector<std::string>{"activities", "activities", "activities"}));
}

TEST_F(EagerActivityTest, NegativeSlotsAreRefusedWithAMessage) {
  v1::RespondWorkflowTaskCompletedRequest req;
  req.set_namespace_("default");
  req.set_task_token("not-checked-before-the-slots");
  req.set_eager_activity_slots(-1);
  v1::RespondWorkflowTaskCompletedResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 10s);
  grpc::Status s = client_->stub().RespondWorkflowTaskCompleted(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("eager_activity_slots"), std::string::npos) << s.error_message();
}

}  // namespace
