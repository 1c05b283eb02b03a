// `weft schedule ...` run in-process against a fake WorkflowService on a local port: what the
// user sees, the exit code, and what the server receives.
#include <gmock/gmock.h>
#include <grpc/grpc.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/cli_app.h"
#include "cli/exit_codes.h"
#include "weft/api/v1/workflow_service.grpc.pb.h"

namespace weft::cli {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::weft::api::v1;

class FakeService final : public v1::WorkflowService::Service {
 public:
  grpc::Status CreateSchedule(grpc::ServerContext*, const v1::CreateScheduleRequest* req,
                              v1::CreateScheduleResponse*) override {
    std::lock_guard<std::mutex> lock(mu);
    creates.push_back(*req);
    return create_status;
  }
  grpc::Status DescribeSchedule(grpc::ServerContext*, const v1::DescribeScheduleRequest* req,
                                v1::DescribeScheduleResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu);
    *resp = describe_answer;
    return grpc::Status::OK;
  }
  grpc::Status UpdateSchedule(grpc::ServerContext*, const v1::UpdateScheduleRequest* req,
                              v1::UpdateScheduleResponse*) override {
    std::lock_guard<std::mutex> lock(mu);
    updates.push_back(*req);
    return grpc::Status::OK;
  }
  grpc::Status PatchSchedule(grpc::ServerContext*, const v1::PatchScheduleRequest* req,
                             v1::PatchScheduleResponse*) override {
    std::lock_guard<std::mutex> lock(mu);
    patches.push_back(*req);
    return grpc::Status::OK;
  }
  grpc::Status DeleteSchedule(grpc::ServerContext*, const v1::DeleteScheduleRequest* req,
                              v1::DeleteScheduleResponse*) override {
    std::lock_guard<std::mutex> lock(mu);
    deletes.push_back(*req);
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "schedule \"gone\" not found");
  }
  grpc::Status ListSchedules(grpc::ServerContext*, const v1::ListSchedulesRequest* req,
                             v1::ListSchedulesResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu);
    lists.push_back(*req);
    // Two pages: the CLI follows the token.
    auto* e = resp->add_schedules();
    if (req->next_page_token().empty()) {
      e->set_schedule_id("first");
      e->mutable_workflow_type()->set_name("Greeting");
      e->mutable_spec()->add_cron_expressions("0 2 * * *");
      e->add_future_action_times()->set_seconds(1'767'232'800);  // 2026-01-01T02:00:00Z
      resp->set_next_page_token("page-2");
    } else {
      e->set_schedule_id("second");
      e->mutable_workflow_type()->set_name("Sleep");
      e->set_paused(true);
      e->set_notes("maintenance");
    }
    return grpc::Status::OK;
  }

  std::mutex mu;
  grpc::Status create_status = grpc::Status::OK;
  v1::DescribeScheduleResponse describe_answer;
  std::vector<v1::CreateScheduleRequest> creates;
  std::vector<v1::PatchScheduleRequest> patches;
  std::vector<v1::UpdateScheduleRequest> updates;
  std::vector<v1::DeleteScheduleRequest> deletes;
  std::vector<v1::ListSchedulesRequest> lists;
};

struct CliRun {
  int exit_code;
  std::string out;
  std::string err;
};

class ScheduleCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("WEFT_ADDRESS");
    unsetenv("WEFT_NAMESPACE");
    grpc::ServerBuilder builder;
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    address_ = absl::StrCat("127.0.0.1:", port);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  }
  CliRun Run(std::vector<std::string> args) {
    std::vector<std::string> full = {"weft", "--address", address_};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const std::string& a : full) argv.push_back(a.c_str());
    std::ostringstream out, err;
    int code = RunCli(static_cast<int>(argv.size()), argv.data(), out, err);
    return CliRun{code, out.str(), err.str()};
  }

  FakeService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

TEST_F(ScheduleCommandsTest, CreateSendsEveryFlag) {
  CliRun run = Run({"schedule",
                    "create",
                    "--schedule-id",
                    "nightly",
                    "--cron",
                    "0 2 * * *",
                    "--interval",
                    "1h",
                    "--phase",
                    "15m",
                    "--workflow-type",
                    "Greeting",
                    "--task-queue",
                    "samples",
                    "--workflow-id",
                    "greet",
                    "--input",
                    "\"Ada\"",
                    "--overlap-policy",
                    "buffer-one",
                    "--catchup-window",
                    "10m",
                    "--pause-on-failure",
                    "--paused",
                    "--notes",
                    "not yet",
                    "--remaining-actions",
                    "3",
                    "-n",
                    "billing"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, "Created schedule nightly\n");
  ASSERT_EQ(service_.creates.size(), 1u);
  const auto& req = service_.creates[0];
  EXPECT_EQ(req.namespace_(), "billing");
  EXPECT_EQ(req.schedule_id(), "nightly");
  const auto& s = req.schedule();
  ASSERT_EQ(s.spec().cron_expressions_size(), 1);
  EXPECT_EQ(s.spec().cron_expressions(0), "0 2 * * *");
  ASSERT_EQ(s.spec().intervals_size(), 1);
  EXPECT_EQ(s.spec().intervals(0).interval().seconds(), 3600);
  EXPECT_EQ(s.spec().intervals(0).phase().seconds(), 900);
  const auto& wf = s.action().start_workflow();
  EXPECT_EQ(wf.workflow_type().name(), "Greeting");
  EXPECT_EQ(wf.task_queue().name(), "samples");
  EXPECT_EQ(wf.workflow_id(), "greet");
  ASSERT_EQ(wf.input().payloads_size(), 1);
  EXPECT_EQ(wf.input().payloads(0).data(), "\"Ada\"");
  EXPECT_EQ(s.policies().overlap_policy(), v1::SCHEDULE_OVERLAP_POLICY_BUFFER_ONE);
  EXPECT_EQ(s.policies().catchup_window().seconds(), 600);
  EXPECT_TRUE(s.policies().pause_on_failure());
  EXPECT_TRUE(s.state().paused());
  EXPECT_EQ(s.state().notes(), "not yet");
  EXPECT_TRUE(s.state().limited_actions());
  EXPECT_EQ(s.state().remaining_actions(), 3);
}

TEST_F(ScheduleCommandsTest, CreateErrors) {
  CliRun run = Run(
      {"schedule", "create", "--schedule-id", "x", "--workflow-type", "T", "--task-queue", "q"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("give --cron EXPR or --interval DURATION"));
  EXPECT_TRUE(service_.creates.empty());

  run = Run({"schedule", "create", "--schedule-id", "x", "--interval", "soon", "--workflow-type",
             "T", "--task-queue", "q"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("--interval"));

  run = Run({"schedule", "create", "--schedule-id", "x", "--interval", "1m", "--workflow-type", "T",
             "--task-queue", "q", "--overlap-policy", "sometimes"});
  EXPECT_EQ(run.exit_code, kExitError);

  service_.create_status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                        "cron '61 * * * *': minute 61 is out of range 0-59");
  run = Run({"schedule", "create", "--schedule-id", "x", "--cron", "61 * * * *", "--workflow-type",
             "T", "--task-queue", "q"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("minute 61 is out of range 0-59"));
}

TEST_F(ScheduleCommandsTest, DescribeShowsCountsRecentAndNextActions) {
  auto& d = service_.describe_answer;
  d.mutable_schedule()->mutable_spec()->add_cron_expressions("*/5 * * * *");
  auto* wf = d.mutable_schedule()->mutable_action()->mutable_start_workflow();
  wf->mutable_workflow_type()->set_name("Greeting");
  wf->mutable_task_queue()->set_name("samples");
  d.mutable_schedule()->mutable_policies()->set_overlap_policy(
      v1::SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER);
  auto* info = d.mutable_info();
  info->set_action_count(4);
  info->set_overlap_skipped(2);
  info->set_missed_catchup_window(1);
  auto* a = info->add_recent_actions();
  a->mutable_schedule_time()->set_seconds(1'767'225'600);  // 2026-01-01T00:00:00Z
  a->mutable_start_workflow_result()->set_workflow_id("every5-2026-01-01T00:00:00Z");
  a->set_start_workflow_status(v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  info->add_future_action_times()->set_seconds(1'767'225'900);  // 00:05
  CliRun run = Run({"schedule", "describe", "-s", "every5"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("Spec:       cron '*/5 * * * *'\n"));
  EXPECT_THAT(run.out, HasSubstr("start Greeting on task queue samples as every5-<time>"));
  EXPECT_THAT(run.out, HasSubstr("Overlap:    cancel-other\n"));
  EXPECT_THAT(run.out, HasSubstr("4 taken, 2 skipped (overlap), 1 missed (catch-up window)"));
  EXPECT_THAT(run.out, HasSubstr("Next:       2026-01-01T00:05:00.000Z\n"));
  EXPECT_THAT(run.out, HasSubstr("every5-2026-01-01T00:00:00Z"));

  run = Run({"-o", "json", "schedule", "describe", "-s", "every5"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  auto j = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << run.out;
  EXPECT_EQ(j["info"]["action_count"], "4");  // int64 is a string in protobuf JSON
}

TEST_F(ScheduleCommandsTest, ListFollowsPages) {
  CliRun run = Run({"schedule", "list"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("first"));
  EXPECT_THAT(run.out, HasSubstr("2026-01-01T02:00:00.000Z"));
  EXPECT_THAT(run.out, HasSubstr("second"));
  EXPECT_THAT(run.out, HasSubstr("paused (maintenance)"));
  ASSERT_EQ(service_.lists.size(), 2u);
  EXPECT_EQ(service_.lists[1].next_page_token(), "page-2");
}

TEST_F(ScheduleCommandsTest, PauseUnpauseTriggerBackfill) {
  ASSERT_EQ(Run({"schedule", "pause", "-s", "a", "--reason", "deploy"}).exit_code, kExitOk);
  ASSERT_EQ(Run({"schedule", "unpause", "-s", "a"}).exit_code, kExitOk);
  CliRun run = Run({"schedule", "trigger", "-s", "a", "--overlap-policy", "allow-all"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, "Triggered schedule a\n");
  ASSERT_EQ(Run({"schedule", "backfill", "-s", "a", "--start-time", "2026-01-01T00:00:00Z",
                 "--end-time", "2026-01-01T01:00:00Z"})
                .exit_code,
            kExitOk);
  ASSERT_EQ(service_.patches.size(), 4u);
  EXPECT_EQ(service_.patches[0].patch().pause(), "deploy");
  EXPECT_THAT(service_.patches[1].patch().unpause(), HasSubstr("unpaused by "));
  EXPECT_EQ(service_.patches[2].patch().trigger_immediately().overlap_policy(),
            v1::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL);
  ASSERT_EQ(service_.patches[3].patch().backfill_request_size(), 1);
  EXPECT_EQ(service_.patches[3].patch().backfill_request(0).start_time().seconds(), 1'767'225'600);
  EXPECT_EQ(service_.patches[3].patch().backfill_request(0).end_time().seconds(), 1'767'229'200);

  run = Run({"schedule", "backfill", "-s", "a", "--start-time", "yesterday", "--end-time",
             "2026-01-01T01:00:00Z"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("--start-time: invalid time \"yesterday\""));
}

TEST_F(ScheduleCommandsTest, UpdateChangesOnlyTheGivenPartsWithTheConflictToken) {
  auto* s = service_.describe_answer.mutable_schedule();
  s->mutable_spec()->add_cron_expressions("0 2 * * *");
  s->mutable_spec()->mutable_jitter()->set_seconds(30);
  s->mutable_action()->mutable_start_workflow()->mutable_workflow_type()->set_name("Greeting");
  s->mutable_action()->mutable_start_workflow()->mutable_task_queue()->set_name("samples");
  s->mutable_policies()->set_overlap_policy(v1::SCHEDULE_OVERLAP_POLICY_BUFFER_ALL);
  service_.describe_answer.set_conflict_token("7");
  CliRun run =
      Run({"schedule", "update", "-s", "nightly", "--interval", "10m", "--task-queue", "other"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, "Updated schedule nightly\n");
  ASSERT_EQ(service_.updates.size(), 1u);
  const auto& u = service_.updates[0];
  EXPECT_EQ(u.conflict_token(), "7");
  EXPECT_EQ(u.schedule().spec().cron_expressions_size(), 0);
  ASSERT_EQ(u.schedule().spec().intervals_size(), 1);
  EXPECT_EQ(u.schedule().spec().intervals(0).interval().seconds(), 600);
  EXPECT_EQ(u.schedule().spec().jitter().seconds(), 30);
  EXPECT_EQ(u.schedule().action().start_workflow().task_queue().name(), "other");
  EXPECT_EQ(u.schedule().action().start_workflow().workflow_type().name(), "Greeting");
  EXPECT_EQ(u.schedule().policies().overlap_policy(), v1::SCHEDULE_OVERLAP_POLICY_BUFFER_ALL);
}

TEST_F(ScheduleCommandsTest, DeleteOfAnUnknownScheduleFails) {
  CliRun run = Run({"schedule", "delete", "-s", "gone"});
  EXPECT_EQ(run.exit_code, kExitError);
  EXPECT_THAT(run.err, HasSubstr("NOT_FOUND"));
  EXPECT_THAT(run.err, HasSubstr("schedule \"gone\" not found"));
}

}  // namespace
}  // namespace weft::cli
