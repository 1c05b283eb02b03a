// Task-queue priorities, dispatch rate limits and DescribeTaskQueue against a real server
// in-process (real RocksDB, real gRPC on a port the OS picked) and SDK workers.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
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

// What the activities saw, in the order they ran.
std::mutex g_mu;
std::vector<std::string> g_ran;                              // guarded by g_mu
std::vector<std::chrono::steady_clock::time_point> g_times;  // guarded by g_mu

std::string Record(std::string label) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_ran.push_back(label);
  g_times.push_back(std::chrono::steady_clock::now());
  return label;
}

// Runs one "Record" activity on `queue` at `activity_priority` (0: the workflow's own).
weft::Workflow<std::string> OneActivity(weft::WorkflowContext& ctx, std::string label,
                                        int activity_priority, std::string queue) {
  co_return co_await ctx.ExecuteActivity<std::string>("Record",
                                                      {.start_to_close = std::chrono::seconds(30),
                                                       .task_queue = queue,
                                                       .priority = activity_priority},
                                                      label);
}

class TaskQueueTest : public weft::testing::InProcessServerTest {
 protected:
  void SetUp() override {
    {
      std::lock_guard<std::mutex> lock(g_mu);
      g_ran.clear();
      g_times.clear();
    }
    InProcessServerTest::SetUp();
  }

  weft::Worker& StartWorker(weft::WorkerOptions options, bool workflows, bool activities) {
    workers_.push_back(std::make_unique<weft::Worker>(*client_, std::move(options)));
    weft::Worker& w = *workers_.back();
    if (workflows) w.RegisterWorkflow("OneActivity", OneActivity);
    if (activities) w.RegisterActivity("Record", Record);
    EXPECT_TRUE(w.Start().ok());
    return w;
  }

  absl::StatusOr<v1::DescribeTaskQueueResponse> Describe(const std::string& queue,
                                                         v1::TaskQueueType type) {
    v1::DescribeTaskQueueRequest req;
    req.set_namespace_("default");
    req.mutable_task_queue()->set_name(queue);
    req.set_task_queue_type(type);
    v1::DescribeTaskQueueResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status s = client_->stub().DescribeTaskQueue(&ctx, req, &resp);
    if (!s.ok()) return weft::FromGrpcStatus(s);
    return resp;
  }

  // Polls DescribeTaskQueue until the activity backlog of `queue` holds `n` tasks.
  bool WaitForActivityBacklog(const std::string& queue, int64_t n) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < end) {
      auto d = Describe(queue, v1::TASK_QUEUE_TYPE_ACTIVITY);
      if (d.ok() && d->task_queue_status().backlog_count_hint() == n) return true;
    }
    return false;
  }

  void Start(const std::string& id, int priority, int activity_priority,
             const std::string& workflow_queue, const std::string& activity_queue) {
    auto run = client_->StartWorkflow(
        "OneActivity", {.id = id, .task_queue = workflow_queue, .priority = priority}, id,
        activity_priority, activity_queue);
    ASSERT_TRUE(run.ok()) << run.status();
  }
};

TEST_F(TaskQueueTest, QueuedActivitiesRunHighestPriorityFirst) {
  // Workflows run, but nobody polls the activity queue yet: the activities queue up.
  StartWorker({.task_queue = "prio-wf"}, /*workflows=*/true, /*activities=*/false);
  // One at a time (each activity queued before the next workflow starts), so that the
  // order within a priority is known.
  struct Run {
    const char* id;
    int priority;
    int activity_priority;
  };
  // "p5-activity-2" gives its activity priority 2; "p3-again" leaves it unset (the default 3).
  const std::vector<Run> runs = {
      {"p5", 5, 0}, {"p3", 3, 0}, {"p1", 1, 0}, {"p5-activity-2", 5, 2}, {"p3-again", 0, 0}};
  for (size_t i = 0; i < runs.size(); ++i) {
    Start(runs[i].id, runs[i].priority, runs[i].activity_priority, "prio-wf", "prio-act");
    ASSERT_TRUE(WaitForActivityBacklog("prio-act", static_cast<int64_t>(i + 1))) << runs[i].id;
  }
  auto d = Describe("prio-act", v1::TASK_QUEUE_TYPE_ACTIVITY);
  ASSERT_TRUE(d.ok()) << d.status();
  std::map<int32_t, int64_t> by_priority(d->task_queue_status().backlog_by_priority().begin(),
                                         d->task_queue_status().backlog_by_priority().end());
  EXPECT_EQ(by_priority, (std::map<int32_t, int64_t>{{1, 1}, {2, 1}, {3, 2}, {5, 1}}));
  EXPECT_EQ(d->pollers_size(), 0);

  // One activity at a time, so the order they run in is the order they were handed out.
  StartWorker({.task_queue = "prio-act", .max_concurrent_activities = 1}, false, true);
  for (const char* id : {"p5", "p3", "p1", "p5-activity-2", "p3-again"}) {
    auto r = client_->GetResult<std::string>(id, "", std::chrono::seconds(60));
    ASSERT_TRUE(r.ok()) << id << ": " << r.status();
    EXPECT_EQ(*r, id);
  }
  std::lock_guard<std::mutex> lock(g_mu);
  EXPECT_EQ(g_ran, (std::vector<std::string>{"p1", "p5-activity-2", "p3", "p3-again", "p5"}));
}

TEST_F(TaskQueueTest, RateLimitSpacesDispatchesAndDescribeShowsIt) {
  constexpr int kTasks = 6;
  constexpr double kRate = 4;  // per second: 6 tasks need at least 5 / 4 = 1.25 s
  StartWorker({.task_queue = "rate-wf"}, true, false);
  for (int i = 0; i < kTasks; ++i) Start("rate-" + std::to_string(i), 0, 0, "rate-wf", "rate-act");
  ASSERT_TRUE(WaitForActivityBacklog("rate-act", kTasks));
  // Eight concurrent activity slots would take all six at once without the limit.
  StartWorker({.task_queue = "rate-act",
               .max_concurrent_activities = 8,
               .identity = "limited-worker",
               .max_task_queue_activities_per_second = kRate},
              false, true);
  for (int i = 0; i < kTasks; ++i) {
    auto r =
        client_->GetResult<std::string>("rate-" + std::to_string(i), "", std::chrono::seconds(60));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  {
    std::lock_guard<std::mutex> lock(g_mu);
    ASSERT_EQ(g_times.size(), static_cast<size_t>(kTasks));
    std::sort(g_times.begin(), g_times.end());
    // A lower bound only (a slow machine can only stretch it): the bucket lets one task out
    // at once and then one per 250 ms. 0.25 s of slack for loopback jitter.
    auto span = g_times.back() - g_times.front();
    EXPECT_GE(span, std::chrono::milliseconds(1000))
        << std::chrono::duration_cast<std::chrono::milliseconds>(span).count() << " ms";
  }
  auto d = Describe("rate-act", v1::TASK_QUEUE_TYPE_ACTIVITY);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->task_queue_status().rate_per_second(), kRate);
  EXPECT_EQ(d->task_queue_status().tasks_dispatched(), kTasks);
  EXPECT_EQ(d->task_queue_status().backlog_count_hint(), 0);
  ASSERT_EQ(d->pollers_size(), 1);
  EXPECT_EQ(d->pollers(0).identity(), "limited-worker");
  EXPECT_EQ(d->pollers(0).rate_per_second(), kRate);

  // The workflow side of the same queue name is another queue: its own pollers, no limit.
  auto w = Describe("rate-wf", v1::TASK_QUEUE_TYPE_WORKFLOW);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_GE(w->pollers_size(), 1);
  EXPECT_EQ(w->task_queue_status().rate_per_second(), 0);
  EXPECT_GE(w->task_queue_status().tasks_dispatched(), kTasks);  // (later ones: sticky queue)
}

TEST_F(TaskQueueTest, BadInputIsRefusedWithAClearMessage) {
  auto run = client_->StartWorkflow("OneActivity", {.task_queue = "q", .priority = 6},
                                    std::string("x"), 0, std::string("q"));
  ASSERT_FALSE(run.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(run.status())) << run.status();
  EXPECT_NE(run.status().message().find("priority 6 is out of range"), std::string::npos)
      << run.status();

  v1::PollActivityTaskQueueRequest poll;
  poll.set_namespace_("default");
  poll.mutable_task_queue()->set_name("q");
  poll.set_max_tasks_per_second(-2);
  v1::PollActivityTaskQueueResponse poll_resp;
  grpc::ClientContext poll_ctx;
  grpc::Status s = client_->stub().PollActivityTaskQueue(&poll_ctx, poll, &poll_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("max_tasks_per_second"), std::string::npos) << s.error_message();

  v1::DescribeTaskQueueRequest req;
  req.set_namespace_("default");
  req.mutable_task_queue()->set_name("q");
  req.set_task_queue_type(static_cast<v1::TaskQueueType>(42));
  v1::DescribeTaskQueueResponse resp;
  grpc::ClientContext ctx;
  s = client_->stub().DescribeTaskQueue(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("task_queue_type"), std::string::npos) << s.error_message();

  // A queue nobody ever used is an empty answer, as in Temporal.
  auto unknown = Describe("never-used", v1::TASK_QUEUE_TYPE_ACTIVITY);
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(unknown->pollers_size(), 0);
  EXPECT_EQ(unknown->task_queue_status().backlog_count_hint(), 0);
  auto no_name = Describe("", v1::TASK_QUEUE_TYPE_ACTIVITY);
  EXPECT_TRUE(absl::IsInvalidArgument(no_name.status())) << no_name.status();
}

}  // namespace
