// Schedules against a real server in-process (real RocksDB, real gRPC on a port the OS
// picked, a real SDK worker): workflows started on an interval, overlap policies seen through
// the real history service, trigger/pause/delete, the status codes of bad requests, and a
// schedule that survives a server restart.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <string>

#include "absl/time/clock.h"
#include "server/app/weft_server.h"
#include "tests/support/in_process_server.h"
#include "tests/support/temp_dir.h"
#include "weft/client.h"
#include "weft/worker.h"
#include "weft/workflow.h"

namespace {

using weft::api::v1::Schedule;

weft::Workflow<std::string> Echo(weft::WorkflowContext& ctx, std::string text) { co_return text; }

// Runs until signalled "release".
weft::Workflow<std::string> Hold(weft::WorkflowContext& ctx) {
  co_return co_await ctx.GetSignalChannel("release").Receive<std::string>();
}

Schedule MakeSchedule(const std::string& type, std::chrono::seconds every,
                      weft::api::v1::ScheduleOverlapPolicy policy =
                          weft::api::v1::SCHEDULE_OVERLAP_POLICY_UNSPECIFIED) {
  Schedule s;
  s.mutable_spec()->add_intervals()->mutable_interval()->set_seconds(every.count());
  auto* wf = s.mutable_action()->mutable_start_workflow();
  wf->mutable_workflow_type()->set_name(type);
  wf->mutable_task_queue()->set_name("sched");
  auto* p = wf->mutable_input()->add_payloads();
  (*p->mutable_metadata())["encoding"] = "json/plain";
  p->set_data("\"tick\"");
  s.mutable_policies()->set_overlap_policy(policy);
  return s;
}

class ScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }
  void TearDown() override { StopServer(); }

  void StartServer() {
    auto s = weft::testing::StartDevServer(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    auto client = weft::testing::ConnectClient(*server_);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
    worker_ = std::make_unique<weft::Worker>(*client_, weft::WorkerOptions{.task_queue = "sched"});
    worker_->RegisterWorkflow("Echo", Echo);
    worker_->RegisterWorkflow("Hold", Hold);
    ASSERT_TRUE(worker_->Start().ok());
  }
  void StopServer() {
    if (worker_) worker_->Shutdown();
    worker_.reset();
    client_.reset();
    if (server_) server_->Shutdown();
    server_.reset();
  }

  // Describes the schedule until `pred` holds, up to 30 s; returns the last answer.
  weft::api::v1::DescribeScheduleResponse WaitFor(
      const std::string& id,
      const std::function<bool(const weft::api::v1::DescribeScheduleResponse&)>& pred) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    weft::api::v1::DescribeScheduleResponse last;
    while (absl::Now() < deadline) {
      auto d = client_->DescribeSchedule(id);
      EXPECT_TRUE(d.ok()) << d.status();
      if (!d.ok()) return last;
      last = *d;
      if (pred(last)) return last;
      // The history long poll paces the loop: wait for the newest run to close (or 1 s).
      if (last.info().recent_actions_size() > 0) {
        const auto& newest = last.info().recent_actions().rbegin()->start_workflow_result();
        (void)client_->GetResultEvent(newest.workflow_id(), newest.run_id(),
                                      std::chrono::milliseconds(500));
      } else {
        (void)client_->GetResultEvent("no-such-workflow", "", std::chrono::milliseconds(200));
      }
    }
    ADD_FAILURE() << "condition not met in 30 s; last: " << last.DebugString();
    return last;
  }

  weft::testing::TempDir dir_;
  std::unique_ptr<weft::app::WeftServer> server_;
  std::unique_ptr<weft::Client> client_;
  std::unique_ptr<weft::Worker> worker_;
};

TEST_F(ScheduleTest, IntervalStartsWorkflowsThatComplete) {
  ASSERT_TRUE(
      client_->CreateSchedule("every-second", MakeSchedule("Echo", std::chrono::seconds(1))).ok());
  auto d = WaitFor("every-second", [](const auto& r) { return r.info().action_count() >= 3; });
  ASSERT_GE(d.info().recent_actions_size(), 3);
  std::set<std::string> ids;
  for (const auto& a : d.info().recent_actions()) {
    const std::string& id = a.start_workflow_result().workflow_id();
    EXPECT_EQ(id.rfind("every-second-20", 0), 0u) << id;
    EXPECT_TRUE(ids.insert(id).second) << "duplicate " << id;
  }
  const auto& first = d.info().recent_actions(0).start_workflow_result();
  auto result = client_->GetResult<std::string>(first.workflow_id(), first.run_id(),
                                                std::chrono::seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, "tick");
  EXPECT_EQ(d.info().future_action_times_size(), 5);
}

TEST_F(ScheduleTest, BadRequestsGetTheRightCodes) {
  EXPECT_EQ(client_->DescribeSchedule("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(client_->TriggerSchedule("nope").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(client_->DeleteSchedule("nope").code(), absl::StatusCode::kNotFound);

  Schedule bad_cron = MakeSchedule("Echo", std::chrono::seconds(60));
  bad_cron.mutable_spec()->add_cron_expressions("61 * * * *");
  auto s = client_->CreateSchedule("bad", bad_cron);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "cron '61 * * * *': minute 61 is out of range 0-59");

  Schedule no_spec = MakeSchedule("Echo", std::chrono::seconds(60));
  no_spec.clear_spec();
  EXPECT_EQ(client_->CreateSchedule("bad", no_spec).code(), absl::StatusCode::kInvalidArgument);
  Schedule no_action = MakeSchedule("Echo", std::chrono::seconds(60));
  no_action.clear_action();
  EXPECT_EQ(client_->CreateSchedule("bad", no_action).code(), absl::StatusCode::kInvalidArgument);
  Schedule no_queue = MakeSchedule("Echo", std::chrono::seconds(60));
  no_queue.mutable_action()->mutable_start_workflow()->clear_task_queue();
  s = client_->CreateSchedule("bad", no_queue);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("task_queue"), std::string::npos) << s.message();

  ASSERT_TRUE(client_->CreateSchedule("dup", MakeSchedule("Echo", std::chrono::seconds(60))).ok());
  EXPECT_EQ(client_->CreateSchedule("dup", MakeSchedule("Echo", std::chrono::seconds(60))).code(),
            absl::StatusCode::kAlreadyExists);

  auto d = client_->DescribeSchedule("dup");
  ASSERT_TRUE(d.ok());
  Schedule changed = d->schedule();
  changed.mutable_spec()->mutable_intervals(0)->mutable_interval()->set_seconds(120);
  ASSERT_TRUE(client_->UpdateSchedule("dup", changed, d->conflict_token()).ok());
  EXPECT_EQ(client_->UpdateSchedule("dup", changed, d->conflict_token()).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ScheduleTest, TriggerPauseListAndDeleteKeepsTheWorkflows) {
  Schedule s = MakeSchedule("Echo", std::chrono::seconds(3600));
  s.mutable_state()->set_paused(true);
  ASSERT_TRUE(client_->CreateSchedule("manual", s).ok());
  ASSERT_TRUE(client_->TriggerSchedule("manual").ok());  // a paused schedule can be triggered
  auto d = WaitFor("manual", [](const auto& r) {
    return r.info().recent_actions_size() == 1 && r.info().running_workflows_size() == 0;
  });
  ASSERT_EQ(d.info().recent_actions_size(), 1);
  EXPECT_EQ(d.info().recent_actions(0).start_workflow_status(),
            weft::api::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  EXPECT_TRUE(d.schedule().state().paused());
  EXPECT_EQ(d.info().future_action_times_size(), 0);
  const std::string started = d.info().recent_actions(0).start_workflow_result().workflow_id();

  ASSERT_TRUE(client_->UnpauseSchedule("manual", "go").ok());
  auto list = client_->ListSchedules();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->schedules_size(), 1);
  EXPECT_EQ(list->schedules(0).schedule_id(), "manual");
  EXPECT_FALSE(list->schedules(0).paused());
  EXPECT_EQ(list->schedules(0).notes(), "go");
  EXPECT_EQ(list->schedules(0).future_action_times_size(), 5);

  ASSERT_TRUE(client_->DeleteSchedule("manual").ok());
  EXPECT_EQ(client_->DescribeSchedule("manual").status().code(), absl::StatusCode::kNotFound);
  auto wf = client_->Describe(started);
  ASSERT_TRUE(wf.ok()) << wf.status();  // the workflow it started is still there
}

TEST_F(ScheduleTest, BufferOneStartsTheBufferedActionWhenTheRunningOneCloses) {
  ASSERT_TRUE(client_
                  ->CreateSchedule("buffered",
                                   MakeSchedule("Hold", std::chrono::seconds(3600),
                                                weft::api::v1::SCHEDULE_OVERLAP_POLICY_BUFFER_ONE))
                  .ok());
  ASSERT_TRUE(client_->TriggerSchedule("buffered").ok());
  ASSERT_TRUE(client_->TriggerSchedule("buffered").ok());  // buffered
  ASSERT_TRUE(client_->TriggerSchedule("buffered").ok());  // dropped
  auto d = client_->DescribeSchedule("buffered");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->info().action_count(), 1);
  EXPECT_EQ(d->info().buffer_size(), 1);
  EXPECT_EQ(d->info().buffer_dropped(), 1);
  const auto first = d->info().recent_actions(0).start_workflow_result();
  ASSERT_TRUE(client_->Signal(first.workflow_id(), "", "release", std::string("done")).ok());
  d = WaitFor("buffered", [](const auto& r) { return r.info().action_count() == 2; });
  EXPECT_EQ(d->info().buffer_size(), 0);
  EXPECT_EQ(d->info().recent_actions(0).start_workflow_status(),
            weft::api::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  ASSERT_EQ(d->info().running_workflows_size(), 1);
  EXPECT_NE(d->info().running_workflows(0).workflow_id(), first.workflow_id());
}

TEST_F(ScheduleTest, TerminateOtherReplacesTheRunningWorkflow) {
  ASSERT_TRUE(
      client_
          ->CreateSchedule("replace",
                           MakeSchedule("Hold", std::chrono::seconds(3600),
                                        weft::api::v1::SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER))
          .ok());
  ASSERT_TRUE(client_->TriggerSchedule("replace").ok());
  auto d = client_->DescribeSchedule("replace");
  ASSERT_TRUE(d.ok());
  const auto first = d->info().recent_actions(0).start_workflow_result();
  ASSERT_TRUE(client_->TriggerSchedule("replace").ok());
  auto wf = client_->Describe(first.workflow_id(), first.run_id());
  ASSERT_TRUE(wf.ok()) << wf.status();
  EXPECT_EQ(wf->workflow_execution_info().status(),
            weft::api::v1::WORKFLOW_EXECUTION_STATUS_TERMINATED);
  d = client_->DescribeSchedule("replace");
  EXPECT_EQ(d->info().action_count(), 2);
  ASSERT_EQ(d->info().running_workflows_size(), 1);
  EXPECT_NE(d->info().running_workflows(0).workflow_id(), first.workflow_id());
}

TEST_F(ScheduleTest, ScheduleSurvivesARestart) {
  Schedule s = MakeSchedule("Echo", std::chrono::seconds(3600));
  s.mutable_state()->set_notes("kept");
  ASSERT_TRUE(client_->CreateSchedule("durable", s).ok());
  ASSERT_TRUE(client_->TriggerSchedule("durable").ok());
  auto before = client_->DescribeSchedule("durable");
  ASSERT_TRUE(before.ok());
  StopServer();
  StartServer();
  auto after = client_->DescribeSchedule("durable");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->schedule().state().notes(), "kept");
  EXPECT_EQ(after->info().action_count(), 1);
  EXPECT_EQ(after->conflict_token(), before->conflict_token());
  EXPECT_EQ(after->info().recent_actions(0).start_workflow_result().workflow_id(),
            before->info().recent_actions(0).start_workflow_result().workflow_id());
}

}  // namespace
