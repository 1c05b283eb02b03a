#include "server/scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "server/common/proto_time.h"
#include "tests/support/temp_dir.h"

namespace weft::scheduler {
namespace {

using api::v1::WorkflowExecutionStatus;

// A history service that keeps runs in a map: starts (deduplicated by request id, refused by
// workflow id), describe, cancel and terminate; tests set run outcomes directly.
class FakeHistory : public history::HistoryClient {
 public:
  struct Run {
    std::string run_id;
    std::string request_id;
    WorkflowExecutionStatus status = api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING;
    bool cancel_requested = false;
    api::v1::StartWorkflowExecutionRequest request;
  };

  absl::StatusOr<api::v1::StartWorkflowExecutionResponse> StartWorkflowExecution(
      const history::NamespaceRef& ns, const api::v1::StartWorkflowExecutionRequest& req,
      const api::v1::SignalWithStartWorkflowExecutionRequest*) override {
    std::lock_guard<std::mutex> l(mu);
    if (fail_starts > 0) {
      --fail_starts;
      return absl::UnavailableError("storage is busy");
    }
    api::v1::StartWorkflowExecutionResponse resp;
    auto it = runs.find(req.workflow_id());
    if (it != runs.end()) {
      if (it->second.request_id == req.request_id()) {
        resp.set_run_id(it->second.run_id);
        return resp;
      }
      return absl::AlreadyExistsError("workflow id in use");
    }
    Run r;
    r.run_id = absl::StrCat("run-", ++next_run);
    r.request_id = req.request_id();
    r.request = req;
    runs[req.workflow_id()] = r;
    started.push_back(req.workflow_id());
    started_cv.notify_all();
    resp.set_run_id(r.run_id);
    resp.set_started(true);
    return resp;
  }
  absl::StatusOr<api::v1::DescribeWorkflowExecutionResponse> DescribeWorkflowExecution(
      const history::NamespaceRef&, const api::v1::WorkflowExecution& e) override {
    std::lock_guard<std::mutex> l(mu);
    auto it = runs.find(e.workflow_id());
    if (it == runs.end()) return absl::NotFoundError("no such workflow");
    api::v1::DescribeWorkflowExecutionResponse resp;
    resp.mutable_workflow_execution_info()->set_status(it->second.status);
    return resp;
  }
  absl::Status RequestCancelWorkflowExecution(
      const history::NamespaceRef&,
      const api::v1::RequestCancelWorkflowExecutionRequest& req) override {
    std::lock_guard<std::mutex> l(mu);
    runs[req.workflow_execution().workflow_id()].cancel_requested = true;
    return absl::OkStatus();
  }
  absl::Status TerminateWorkflowExecution(
      const history::NamespaceRef&,
      const api::v1::TerminateWorkflowExecutionRequest& req) override {
    std::lock_guard<std::mutex> l(mu);
    runs[req.workflow_execution().workflow_id()].status =
        api::v1::WORKFLOW_EXECUTION_STATUS_TERMINATED;
    return absl::OkStatus();
  }

  void Close(const std::string& workflow_id,
             WorkflowExecutionStatus status = api::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED) {
    std::lock_guard<std::mutex> l(mu);
    runs[workflow_id].status = status;
  }
  std::vector<std::string> Started() {
    std::lock_guard<std::mutex> l(mu);
    return started;
  }

  // Unused by the scheduler.
  absl::StatusOr<api::v1::GetWorkflowExecutionHistoryResponse> GetWorkflowExecutionHistory(
      const history::NamespaceRef&, const api::v1::GetWorkflowExecutionHistoryRequest&,
      absl::Time) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<api::v1::ListWorkflowExecutionsResponse> ListWorkflowExecutions(
      const history::NamespaceRef&, const api::v1::ListWorkflowExecutionsRequest&) override {
    return absl::UnimplementedError("");
  }
  absl::Status SignalWorkflowExecution(const history::NamespaceRef&,
                                       const api::v1::SignalWorkflowExecutionRequest&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<api::v1::PollWorkflowTaskQueueResponse> RecordWorkflowTaskStarted(
      const history::NamespaceRef&, const internal::BacklogTask&, const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<api::v1::PollActivityTaskQueueResponse> RecordActivityTaskStarted(
      const history::NamespaceRef&, const internal::BacklogTask&, const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::Status RespondWorkflowTaskCompleted(
      const history::NamespaceRef&, const api::v1::RespondWorkflowTaskCompletedRequest&) override {
    return absl::UnimplementedError("");
  }
  absl::Status RespondWorkflowTaskFailed(
      const history::NamespaceRef&, const api::v1::RespondWorkflowTaskFailedRequest&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<api::v1::RecordActivityTaskHeartbeatResponse> RecordActivityTaskHeartbeat(
      const history::NamespaceRef&, const api::v1::RecordActivityTaskHeartbeatRequest&) override {
    return absl::UnimplementedError("");
  }
  absl::Status RespondActivityTaskCompleted(
      const history::NamespaceRef&, const api::v1::RespondActivityTaskCompletedRequest&) override {
    return absl::UnimplementedError("");
  }
  absl::Status RespondActivityTaskFailed(
      const history::NamespaceRef&, const api::v1::RespondActivityTaskFailedRequest&) override {
    return absl::UnimplementedError("");
  }
  // Not marked override: kept valid while the interface grows.
  absl::StatusOr<api::v1::ResetWorkflowExecutionResponse> ResetWorkflowExecution(
      const history::NamespaceRef&, const api::v1::ResetWorkflowExecutionRequest&) {
    return absl::UnimplementedError("");
  }
  absl::Status ResetStickyTaskQueue(const history::NamespaceRef&,
                                    const api::v1::ResetStickyTaskQueueRequest&) {
    return absl::UnimplementedError("");
  }
  absl::Status RespondActivityTaskCanceled(
      const history::NamespaceRef&, const api::v1::RespondActivityTaskCanceledRequest&) override {
    return absl::UnimplementedError("");
  }

  // Waits until `n` workflows were started, up to `timeout`.
  bool WaitForStarts(size_t n, absl::Duration timeout) {
    std::unique_lock<std::mutex> l(mu);
    return started_cv.wait_for(l, absl::ToChronoNanoseconds(timeout),
                               [&] { return started.size() >= n; });
  }

  std::mutex mu;
  std::condition_variable started_cv;
  std::map<std::string, Run> runs;
  std::vector<std::string> started;
  int next_run = 0;
  int fail_starts = 0;
};

history::NamespaceRef Ns(const std::string& id, const std::string& name) {
  history::NamespaceRef ns;
  ns.id = id;
  ns.name = name;
  return ns;
}

absl::Time T0() {
  return absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0), absl::UTCTimeZone());
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = storage::Store::Open(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    Reopen();
  }
  void Reopen() {
    scheduler_.reset();
    scheduler_ = std::make_unique<Scheduler>(store_.get(), &history_, &clock_, &metrics_,
                                             Scheduler::Options{});
    ASSERT_TRUE(scheduler_->Load().ok());
  }

  static api::v1::CreateScheduleRequest Every(
      const std::string& id, absl::Duration every,
      api::v1::ScheduleOverlapPolicy policy = api::v1::SCHEDULE_OVERLAP_POLICY_UNSPECIFIED) {
    api::v1::CreateScheduleRequest req;
    req.set_namespace_("default");
    req.set_schedule_id(id);
    auto* sched = req.mutable_schedule();
    *sched->mutable_spec()->add_intervals()->mutable_interval() = ToProto(every);
    auto* wf = sched->mutable_action()->mutable_start_workflow();
    wf->mutable_workflow_type()->set_name("Greeting");
    wf->mutable_task_queue()->set_name("samples");
    sched->mutable_policies()->set_overlap_policy(policy);
    return req;
  }

  absl::Status Create(const api::v1::CreateScheduleRequest& req) {
    return scheduler_->Create(ns_, req);
  }
  api::v1::ScheduleInfo Info(const std::string& id) {
    auto d = scheduler_->Describe(ns_, id);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? d->info() : api::v1::ScheduleInfo{};
  }
  // Moves the clock and lets the runner act.
  void Advance(absl::Duration d) {
    clock_.Advance(d);
    scheduler_->RunOnce();
  }
  absl::Status Patch(const std::string& id, const api::v1::SchedulePatch& patch) {
    api::v1::PatchScheduleRequest req;
    req.set_schedule_id(id);
    *req.mutable_patch() = patch;
    return scheduler_->Patch(ns_, req);
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  FakeHistory history_;
  FakeClock clock_{T0()};
  Metrics metrics_;
  history::NamespaceRef ns_ = Ns("ns-id", "default");
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(SchedulerTest, IntervalStartsOneWorkflowPerTimeWithIdsFromTheScheduleTime) {
  ASSERT_TRUE(Create(Every("tick", absl::Minutes(1))).ok());
  EXPECT_EQ(scheduler_->RunOnce(), T0() + absl::Minutes(1));
  EXPECT_TRUE(history_.Started().empty());
  Advance(absl::Minutes(1));
  ASSERT_EQ(history_.Started(), (std::vector<std::string>{"tick-2026-01-01T00:01:00Z"}));
  const auto& req = history_.runs["tick-2026-01-01T00:01:00Z"].request;
  EXPECT_EQ(req.workflow_type().name(), "Greeting");
  EXPECT_EQ(req.task_queue().name(), "samples");
  EXPECT_FALSE(req.request_id().empty());
  auto info = Info("tick");
  EXPECT_EQ(info.action_count(), 1);
  ASSERT_EQ(info.recent_actions_size(), 1);
  EXPECT_EQ(FromProto(info.recent_actions(0).schedule_time()), T0() + absl::Minutes(1));
  EXPECT_EQ(info.recent_actions(0).start_workflow_result().run_id(), "run-1");
  ASSERT_EQ(info.running_workflows_size(), 1);
  ASSERT_EQ(info.future_action_times_size(), 5);
  EXPECT_EQ(FromProto(info.future_action_times(0)), T0() + absl::Minutes(2));
  // Running the runner again at the same time takes nothing twice.
  scheduler_->RunOnce();
  EXPECT_EQ(history_.Started().size(), 1u);
}

TEST_F(SchedulerTest, ActionWorkflowIdPrefixIsUsed) {
  auto req = Every("tick", absl::Minutes(1));
  req.mutable_schedule()->mutable_action()->mutable_start_workflow()->set_workflow_id("report");
  ASSERT_TRUE(Create(req).ok());
  Advance(absl::Minutes(1));
  EXPECT_EQ(history_.Started(), (std::vector<std::string>{"report-2026-01-01T00:01:00Z"}));
}

TEST_F(SchedulerTest, SkipIsTheDefaultOverlapPolicy) {
  ASSERT_TRUE(Create(Every("s", absl::Minutes(1))).ok());
  Advance(absl::Minutes(1));
  Advance(absl::Minutes(1));  // the first still runs: skipped
  EXPECT_EQ(history_.Started().size(), 1u);
  EXPECT_EQ(Info("s").overlap_skipped(), 1);
  history_.Close("s-2026-01-01T00:01:00Z");
  Advance(absl::Minutes(1));
  EXPECT_EQ(history_.Started(),
            (std::vector<std::string>{"s-2026-01-01T00:01:00Z", "s-2026-01-01T00:03:00Z"}));
  auto info = Info("s");
  EXPECT_EQ(info.action_count(), 2);
  EXPECT_EQ(info.recent_actions(0).start_workflow_status(),
            api::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  EXPECT_EQ(info.running_workflows_size(), 1);
}

TEST_F(SchedulerTest, BufferOneKeepsOneAndDropsTheRest) {
  ASSERT_TRUE(
      Create(Every("b1", absl::Minutes(1), api::v1::SCHEDULE_OVERLAP_POLICY_BUFFER_ONE)).ok());
  Advance(absl::Minutes(1));
  Advance(absl::Minutes(1));  // buffered
  Advance(absl::Minutes(1));  // dropped
  auto info = Info("b1");
  EXPECT_EQ(info.buffer_size(), 1);
  EXPECT_EQ(info.buffer_dropped(), 1);
  EXPECT_EQ(history_.Started().size(), 1u);
  history_.Close("b1-2026-01-01T00:01:00Z");
  Advance(absl::Seconds(1));  // the runner re-checks the running one
  EXPECT_EQ(history_.Started(),
            (std::vector<std::string>{"b1-2026-01-01T00:01:00Z", "b1-2026-01-01T00:02:00Z"}));
  EXPECT_EQ(Info("b1").buffer_size(), 0);
}

TEST_F(SchedulerTest, BufferAllRunsEveryTimeInTurn) {
  ASSERT_TRUE(
      Create(Every("ba", absl::Minutes(1), api::v1::SCHEDULE_OVERLAP_POLICY_BUFFER_ALL)).ok());
  Advance(absl::Minutes(1));
  Advance(absl::Minutes(1));
  Advance(absl::Minutes(1));
  EXPECT_EQ(Info("ba").buffer_size(), 2);
  history_.Close("ba-2026-01-01T00:01:00Z");
  Advance(absl::Seconds(1));
  EXPECT_EQ(history_.Started().back(), "ba-2026-01-01T00:02:00Z");
  history_.Close("ba-2026-01-01T00:02:00Z");
  Advance(absl::Seconds(1));
  EXPECT_EQ(history_.Started(),
            (std::vector<std::string>{"ba-2026-01-01T00:01:00Z", "ba-2026-01-01T00:02:00Z",
                                      "ba-2026-01-01T00:03:00Z"}));
  EXPECT_EQ(Info("ba").buffer_dropped(), 0);
}

TEST_F(SchedulerTest, CancelOtherCancelsThenStartsOnceClosed) {
  ASSERT_TRUE(
      Create(Every("c", absl::Minutes(1), api::v1::SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER)).ok());
  Advance(absl::Minutes(1));
  Advance(absl::Minutes(1));
  EXPECT_TRUE(history_.runs["c-2026-01-01T00:01:00Z"].cancel_requested);
  EXPECT_EQ(history_.Started().size(), 1u);  // waits for the cancelled one to close
  history_.Close("c-2026-01-01T00:01:00Z", api::v1::WORKFLOW_EXECUTION_STATUS_CANCELED);
  Advance(absl::Seconds(1));
  EXPECT_EQ(history_.Started(),
            (std::vector<std::string>{"c-2026-01-01T00:01:00Z", "c-2026-01-01T00:02:00Z"}));
}

TEST_F(SchedulerTest, TerminateOtherTerminatesAndStartsAtOnce) {
  ASSERT_TRUE(
      Create(Every("t", absl::Minutes(1), api::v1::SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER)).ok());
  Advance(absl::Minutes(1));
  Advance(absl::Minutes(1));
  EXPECT_EQ(history_.runs["t-2026-01-01T00:01:00Z"].status,
            api::v1::WORKFLOW_EXECUTION_STATUS_TERMINATED);
  EXPECT_EQ(history_.Started(),
            (std::vector<std::string>{"t-2026-01-01T00:01:00Z", "t-2026-01-01T00:02:00Z"}));
  auto info = Info("t");
  ASSERT_EQ(info.running_workflows_size(), 1);
  EXPECT_EQ(info.running_workflows(0).workflow_id(), "t-2026-01-01T00:02:00Z");
}

TEST_F(SchedulerTest, AllowAllOverlaps) {
  ASSERT_TRUE(
      Create(Every("a", absl::Minutes(1), api::v1::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL)).ok());
  Advance(absl::Minutes(1));
  Advance(absl::Minutes(1));
  Advance(absl::Minutes(1));
  EXPECT_EQ(history_.Started().size(), 3u);
  EXPECT_EQ(Info("a").running_workflows_size(), 3);
}

TEST_F(SchedulerTest, CatchUpTakesOnlyTimesInsideTheWindow) {
  auto req = Every("cu", absl::Minutes(1), api::v1::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL);
  *req.mutable_schedule()->mutable_policies()->mutable_catchup_window() = ToProto(absl::Minutes(2));
  ASSERT_TRUE(Create(req).ok());
  // The server was down for five minutes.
  Reopen();
  Advance(absl::Minutes(5));
  EXPECT_EQ(history_.Started(),
            (std::vector<std::string>{"cu-2026-01-01T00:03:00Z", "cu-2026-01-01T00:04:00Z",
                                      "cu-2026-01-01T00:05:00Z"}));
  auto info = Info("cu");
  EXPECT_EQ(info.missed_catchup_window(), 2);
  EXPECT_EQ(info.action_count(), 3);
}

TEST_F(SchedulerTest, DefaultCatchUpWindowIsOneMinute) {
  ASSERT_TRUE(
      Create(Every("d", absl::Seconds(10), api::v1::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL)).ok());
  Advance(absl::Minutes(10));
  EXPECT_EQ(history_.Started().size(), 7u);  // 9:00 .. 10:00
  EXPECT_EQ(Info("d").missed_catchup_window(), 53);
}

TEST_F(SchedulerTest, PausedTakesNothingAndDoesNotCatchUpAfterUnpause) {
  ASSERT_TRUE(
      Create(Every("p", absl::Minutes(1), api::v1::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL)).ok());
  api::v1::SchedulePatch pause;
  pause.set_pause("maintenance");
  ASSERT_TRUE(Patch("p", pause).ok());
  Advance(absl::Minutes(1));
  Advance(absl::Seconds(30));
  EXPECT_TRUE(history_.Started().empty());
  auto d = scheduler_->Describe(ns_, "p");
  EXPECT_TRUE(d->schedule().state().paused());
  EXPECT_EQ(d->schedule().state().notes(), "maintenance");
  EXPECT_EQ(d->info().future_action_times_size(), 0);
  api::v1::SchedulePatch unpause;
  unpause.set_unpause("done");
  ASSERT_TRUE(Patch("p", unpause).ok());
  scheduler_->RunOnce();
  EXPECT_TRUE(history_.Started().empty());
  Advance(absl::Seconds(30));
  EXPECT_EQ(history_.Started(), (std::vector<std::string>{"p-2026-01-01T00:02:00Z"}));
  EXPECT_EQ(Info("p").missed_catchup_window(), 0);
}

TEST_F(SchedulerTest, RemainingActionsStopTheSchedule) {
  auto req = Every("r", absl::Minutes(1), api::v1::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL);
  req.mutable_schedule()->mutable_state()->set_limited_actions(true);
  req.mutable_schedule()->mutable_state()->set_remaining_actions(2);
  ASSERT_TRUE(Create(req).ok());
  EXPECT_EQ(Info("r").future_action_times_size(), 2);
  for (int i = 0; i < 4; ++i) Advance(absl::Minutes(1));
  EXPECT_EQ(history_.Started().size(), 2u);
  auto d = scheduler_->Describe(ns_, "r");
  EXPECT_EQ(d->schedule().state().remaining_actions(), 0);
  EXPECT_EQ(d->info().future_action_times_size(), 0);
  // A trigger is a manual action: it still works.
  api::v1::SchedulePatch trigger;
  trigger.mutable_trigger_immediately();
  ASSERT_TRUE(Patch("r", trigger).ok());
  EXPECT_EQ(history_.Started().size(), 3u);
}

TEST_F(SchedulerTest, TriggerImmediatelyUsesThePolicy) {
  ASSERT_TRUE(Create(Every("tr", absl::Hours(1))).ok());
  clock_.Advance(absl::Seconds(5) + absl::Milliseconds(250));
  api::v1::SchedulePatch trigger;
  trigger.mutable_trigger_immediately();
  ASSERT_TRUE(Patch("tr", trigger).ok());
  EXPECT_EQ(history_.Started(), (std::vector<std::string>{"tr-2026-01-01T00:00:05.25Z"}));
  // A second one while it runs is skipped (SKIP), unless the trigger says ALLOW_ALL.
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Patch("tr", trigger).ok());
  EXPECT_EQ(history_.Started().size(), 1u);
  EXPECT_EQ(Info("tr").overlap_skipped(), 1);
  trigger.mutable_trigger_immediately()->set_overlap_policy(
      api::v1::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL);
  ASSERT_TRUE(Patch("tr", trigger).ok());
  EXPECT_EQ(history_.Started().size(), 2u);
}

TEST_F(SchedulerTest, BackfillTakesEveryTimeInTheRange) {
  ASSERT_TRUE(Create(Every("bf", absl::Minutes(10))).ok());
  api::v1::SchedulePatch patch;
  auto* b = patch.add_backfill_request();
  *b->mutable_start_time() = ToProto(T0() - absl::Minutes(30));
  *b->mutable_end_time() = ToProto(T0() - absl::Minutes(10));
  b->set_overlap_policy(api::v1::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL);
  ASSERT_TRUE(Patch("bf", patch).ok());
  EXPECT_EQ(history_.Started(),
            (std::vector<std::string>{"bf-2025-12-31T23:30:00Z", "bf-2025-12-31T23:40:00Z",
                                      "bf-2025-12-31T23:50:00Z"}));
  api::v1::SchedulePatch bad;
  auto* bb = bad.add_backfill_request();
  *bb->mutable_start_time() = ToProto(T0());
  *bb->mutable_end_time() = ToProto(T0() - absl::Hours(1));
  EXPECT_EQ(Patch("bf", bad).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SchedulerTest, PauseOnFailure) {
  auto req = Every("pf", absl::Minutes(1), api::v1::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL);
  req.mutable_schedule()->mutable_policies()->set_pause_on_failure(true);
  ASSERT_TRUE(Create(req).ok());
  Advance(absl::Minutes(1));
  history_.Close("pf-2026-01-01T00:01:00Z", api::v1::WORKFLOW_EXECUTION_STATUS_FAILED);
  Advance(absl::Seconds(1));
  auto d = scheduler_->Describe(ns_, "pf");
  EXPECT_TRUE(d->schedule().state().paused());
  EXPECT_EQ(d->schedule().state().notes(), "paused: workflow pf-2026-01-01T00:01:00Z failed");
  Advance(absl::Minutes(2));
  EXPECT_EQ(history_.Started().size(), 1u);
}

TEST_F(SchedulerTest, StateSurvivesARestartAndAStartIsNeverRepeated) {
  ASSERT_TRUE(
      Create(Every("dur", absl::Minutes(1), api::v1::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL)).ok());
  Advance(absl::Minutes(1));
  // A crash after the start of 00:02 reached history but before the record was updated:
  // history already has the run, started with the same request id.
  const std::string id2 = "dur-2026-01-01T00:02:00Z";
  {
    auto d = scheduler_->Describe(ns_, "dur");
    ASSERT_TRUE(d.ok());
  }
  Reopen();
  clock_.Advance(absl::Minutes(1));
  {
    // Simulate: the old process started 00:02 before dying.
    FakeHistory::Run r;
    r.run_id = "run-before-crash";
    r.request_id = history_.runs["dur-2026-01-01T00:01:00Z"].request_id;
    r.request_id.replace(r.request_id.rfind('/') + 1, std::string::npos,
                         absl::StrCat(absl::ToUnixNanos(T0() + absl::Minutes(2))));
    history_.runs[id2] = r;
  }
  scheduler_->RunOnce();
  EXPECT_EQ(history_.Started().size(), 1u);  // no second run for 00:02
  auto info = Info("dur");
  EXPECT_EQ(info.action_count(), 2);
  EXPECT_EQ(info.recent_actions(1).start_workflow_result().run_id(), "run-before-crash");
  Reopen();
  scheduler_->RunOnce();
  EXPECT_EQ(Info("dur").action_count(), 2);
}

TEST_F(SchedulerTest, RetryableStartFailureIsRetried) {
  ASSERT_TRUE(Create(Every("u", absl::Minutes(1))).ok());
  history_.fail_starts = 1;
  Advance(absl::Minutes(1));
  EXPECT_TRUE(history_.Started().empty());
  Advance(absl::Seconds(1));
  EXPECT_EQ(history_.Started(), (std::vector<std::string>{"u-2026-01-01T00:01:00Z"}));
  EXPECT_EQ(Info("u").action_count(), 1);
}

TEST_F(SchedulerTest, ValidationAndErrors) {
  EXPECT_EQ(scheduler_->Describe(ns_, "nope").status().code(), absl::StatusCode::kNotFound);
  auto req = Every("v", absl::Minutes(1));
  req.set_request_id("req-1");
  ASSERT_TRUE(Create(req).ok());
  EXPECT_TRUE(Create(req).ok());  // same request id: a retry
  req.set_request_id("req-2");
  EXPECT_EQ(Create(req).code(), absl::StatusCode::kAlreadyExists);

  auto no_spec = Every("x", absl::Minutes(1));
  no_spec.mutable_schedule()->clear_spec();
  EXPECT_EQ(Create(no_spec).code(), absl::StatusCode::kInvalidArgument);
  auto no_action = Every("x", absl::Minutes(1));
  no_action.mutable_schedule()->clear_action();
  EXPECT_EQ(Create(no_action).code(), absl::StatusCode::kInvalidArgument);
  auto no_queue = Every("x", absl::Minutes(1));
  no_queue.mutable_schedule()->mutable_action()->mutable_start_workflow()->clear_task_queue();
  EXPECT_EQ(Create(no_queue).message(), "schedule.action.start_workflow.task_queue is required");
  auto no_type = Every("x", absl::Minutes(1));
  no_type.mutable_schedule()->mutable_action()->mutable_start_workflow()->clear_workflow_type();
  EXPECT_EQ(Create(no_type).code(), absl::StatusCode::kInvalidArgument);
  auto bad_cron = Every("x", absl::Minutes(1));
  bad_cron.mutable_schedule()->mutable_spec()->add_cron_expressions("61 * * * *");
  EXPECT_EQ(Create(bad_cron).message(), "cron '61 * * * *': minute 61 is out of range 0-59");

  auto d = scheduler_->Describe(ns_, "v");
  ASSERT_TRUE(d.ok());
  api::v1::UpdateScheduleRequest update;
  update.set_schedule_id("v");
  *update.mutable_schedule() = d->schedule();
  update.mutable_schedule()->mutable_spec()->clear_intervals();
  update.mutable_schedule()->mutable_spec()->add_cron_expressions("@hourly");
  update.set_conflict_token(d->conflict_token());
  ASSERT_TRUE(scheduler_->Update(ns_, update).ok());
  // The token moved on: a second update with the old one is refused.
  EXPECT_EQ(scheduler_->Update(ns_, update).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FromProto(Info("v").future_action_times(0)), T0() + absl::Hours(1));
  update.set_schedule_id("nope");
  EXPECT_EQ(scheduler_->Update(ns_, update).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Patch("nope", {}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(scheduler_->Delete(ns_, "nope").code(), absl::StatusCode::kNotFound);
}

TEST_F(SchedulerTest, DeleteKeepsWorkflowsAndListPages) {
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(Create(Every(id, absl::Minutes(1))).ok());
  }
  Advance(absl::Minutes(1));
  api::v1::ListSchedulesRequest list;
  list.set_maximum_page_size(2);
  auto page1 = scheduler_->List(ns_, list);
  ASSERT_TRUE(page1.ok());
  ASSERT_EQ(page1->schedules_size(), 2);
  EXPECT_EQ(page1->schedules(0).schedule_id(), "a");
  EXPECT_EQ(page1->schedules(0).workflow_type().name(), "Greeting");
  EXPECT_EQ(page1->schedules(0).recent_actions_size(), 1);
  ASSERT_FALSE(page1->next_page_token().empty());
  list.set_next_page_token(page1->next_page_token());
  auto page2 = scheduler_->List(ns_, list);
  ASSERT_EQ(page2->schedules_size(), 1);
  EXPECT_EQ(page2->schedules(0).schedule_id(), "c");
  EXPECT_TRUE(page2->next_page_token().empty());
  // Another namespace sees none of them.
  EXPECT_EQ(scheduler_->List(Ns("other-id", "other"), {})->schedules_size(), 0);

  ASSERT_TRUE(scheduler_->Delete(ns_, "b").ok());
  EXPECT_EQ(history_.runs["b-2026-01-01T00:01:00Z"].status,
            api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  Reopen();
  EXPECT_EQ(scheduler_->Describe(ns_, "b").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(scheduler_->List(ns_, {})->schedules_size(), 2);
}

TEST_F(SchedulerTest, RunnerThreadTakesActionsOnItsOwn) {
  // The real clock and the runner thread: a 1 s schedule starts workflows with no RunOnce.
  SystemClock real;
  Scheduler s(store_.get(), &history_, &real, &metrics_, Scheduler::Options{});
  ASSERT_TRUE(s.Load().ok());
  s.Start();
  ASSERT_TRUE(
      s.Create(ns_, Every("live", absl::Seconds(1), api::v1::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL))
          .ok());
  EXPECT_TRUE(history_.WaitForStarts(2, absl::Seconds(10)));
  s.Stop();
}

}  // namespace
}  // namespace weft::scheduler
