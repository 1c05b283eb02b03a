// End-to-end test of schedules: weft-server, weft-samples-worker and the weft CLI as separate
// processes over loopback with real RocksDB. A schedule with a 1-second interval starts the
// Greeting sample; the server is SIGKILLed and restarted on the same data directory; the
// schedule carries on, takes the times it missed while down (inside the catch-up window) and
// never starts a second workflow for one schedule time.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace weft::testing {
namespace {

using nlohmann::json;

class ScheduleE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = absl::StrCat("127.0.0.1:", PickFreePort());
    StartServer();
    worker_ = std::make_unique<Process>(
        std::vector<std::string>{WEFT_SAMPLES_WORKER_BIN, "--address", address_});
    ASSERT_TRUE(worker_->WaitForLine("weft-samples-worker ready", absl::Seconds(60)))
        << worker_->Output();
  }

  void StartServer() {
    server_ = std::make_unique<Process>(
        std::vector<std::string>{WEFT_SERVER_BIN, "--dev", "--data-dir", dir_.path(),
                                 "--grpc-address", address_, "--http-address", "127.0.0.1:0"});
    ASSERT_TRUE(server_->WaitForLine("weft-server ready", absl::Seconds(60))) << server_->Output();
  }

  RunResult Cli(std::vector<std::string> args, absl::Duration timeout = absl::Seconds(60)) {
    std::vector<std::string> argv = {WEFT_CLI_BIN, "--address", address_};
    argv.insert(argv.end(), args.begin(), args.end());
    return weft::testing::Run(argv, timeout);
  }

  json Describe(const std::string& id) {
    RunResult r = Cli({"--output", "json", "schedule", "describe", "--schedule-id", id});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  static int64_t Count(const json& info, const char* field) {
    if (!info.contains(field)) return 0;
    return std::stoll(info[field].get<std::string>());  // int64 is a string in proto JSON
  }

  // Describes the schedule until its action count reaches `n`, up to 60 s. Each check waits on
  // the newest started workflow (a long poll on its history), not on a timer.
  json WaitForActions(const std::string& id, int64_t n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    json d;
    while (absl::Now() < deadline) {
      d = Describe(id);
      if (!d.is_object()) return d;
      if (Count(d["info"], "action_count") >= n) return d;
      const json& recent = d["info"]["recent_actions"];
      std::string newest =
          recent.is_array() && !recent.empty()
              ? recent.back()["start_workflow_result"]["workflow_id"].get<std::string>()
              : "none-yet";
      Cli({"workflow", "result", "--workflow-id", newest, "--timeout", "2s"}, absl::Seconds(10));
    }
    ADD_FAILURE() << "schedule " << id << " did not reach " << n << " actions: " << d.dump();
    return d;
  }

  // Workflow id -> number of runs, for the workflows whose id starts with `prefix`.
  std::map<std::string, int> RunsByWorkflowId(const std::string& prefix) {
    RunResult r = Cli({"--output", "json", "workflow", "list"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, int> out;
    json j = json::parse(r.out, nullptr, false);
    const json& list = j.is_array() ? j : j["executions"];
    if (!list.is_array()) {
      ADD_FAILURE() << "unexpected workflow list output: " << r.out;
      return out;
    }
    for (const json& e : list) {
      std::string id = e["execution"]["workflow_id"].get<std::string>();
      if (id.rfind(prefix, 0) == 0) ++out[id];
    }
    return out;
  }

  TempDir dir_;
  std::string address_;
  std::unique_ptr<Process> server_;
  std::unique_ptr<Process> worker_;
};

TEST_F(ScheduleE2eTest, OneSecondScheduleCarriesOnAcrossASigkill) {
  RunResult r = Cli({"schedule", "create", "--schedule-id", "tick", "--interval", "1s",
                     "--workflow-type", "Greeting", "--task-queue", "samples", "--input", "\"Ada\"",
                     "--overlap-policy", "allow-all", "--catchup-window", "1m"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json before = WaitForActions("tick", 3);
  ASSERT_TRUE(before.is_object());
  const int64_t actions_before = Count(before["info"], "action_count");

  server_->Signal(SIGKILL);
  EXPECT_EQ(server_->Wait(), 128 + SIGKILL);
  const absl::Time killed = absl::Now();
  // The outage itself, not a wait for a condition: the server stays down for three schedule
  // times so that there are missed times to catch up.
  std::this_thread::sleep_until(absl::ToChronoTime(killed + absl::Seconds(3)));
  StartServer();

  json after = WaitForActions("tick", actions_before + 6);
  ASSERT_TRUE(after.is_object());
  const json& info = after["info"];
  EXPECT_EQ(Count(info, "missed_catchup_window"), 0) << info.dump();
  // Some action was taken late, after the restart, for a time that fell in the outage.
  bool caught_up = false;
  for (const json& a : info["recent_actions"]) {
    absl::Time scheduled, actual;
    std::string err;
    ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, a["schedule_time"].get<std::string>(),
                                &scheduled, &err));
    ASSERT_TRUE(
        absl::ParseTime(absl::RFC3339_full, a["actual_time"].get<std::string>(), &actual, &err));
    if (scheduled > killed && scheduled < killed + absl::Seconds(3) &&
        actual - scheduled >= absl::Seconds(1)) {
      caught_up = true;
    }
  }
  EXPECT_TRUE(caught_up) << info.dump();

  // Every second from the first action to the last has exactly one workflow with one run,
  // across the kill: nothing skipped, nothing started twice.
  Cli({"schedule", "pause", "--schedule-id", "tick"});
  const int64_t total = Count(Describe("tick")["info"], "action_count");
  // Visibility may trail the starts a little: read until every action is listed (30 s).
  std::map<std::string, int> runs;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(30); absl::Now() < deadline;) {
    runs = RunsByWorkflowId("tick-");
    if (static_cast<int64_t>(runs.size()) >= total) break;
  }
  ASSERT_FALSE(runs.empty());
  EXPECT_EQ(static_cast<int64_t>(runs.size()), total);
  absl::Time prev = absl::InfinitePast();
  for (const auto& [id, n] : runs) {
    EXPECT_EQ(n, 1) << id << " has " << n << " runs";
    absl::Time t;
    std::string err;
    ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, id.substr(5), &t, &err)) << id;
    if (prev != absl::InfinitePast()) {
      EXPECT_EQ(t - prev, absl::Seconds(1)) << id;
    }
    prev = t;
  }
  // The workflows completed (Greeting returns a greeting).
  RunResult res =
      Cli({"workflow", "result", "--workflow-id", runs.begin()->first, "--timeout", "30s"},
          absl::Seconds(60));
  EXPECT_EQ(res.exit_code, 0) << res.err;
  EXPECT_NE(res.out.find("Hello, Ada!"), std::string::npos) << res.out;
}

TEST_F(ScheduleE2eTest, CliManagesASchedule) {
  RunResult r = Cli({"schedule", "create", "--schedule-id", "nightly", "--cron", "0 2 * * *",
                     "--workflow-type", "Greeting", "--task-queue", "samples", "--input", "\"Bo\"",
                     "--paused", "--notes", "not yet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Cli({"schedule", "create", "--schedule-id", "nightly", "--cron", "0 2 * * *",
           "--workflow-type", "Greeting", "--task-queue", "samples"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("ALREADY_EXISTS"), std::string::npos) << r.err;
  r = Cli({"schedule", "create", "--schedule-id", "broken", "--cron", "61 * * * *",
           "--workflow-type", "Greeting", "--task-queue", "samples"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("minute 61 is out of range 0-59"), std::string::npos) << r.err;

  r = Cli({"schedule", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("nightly"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("paused (not yet)"), std::string::npos) << r.out;

  r = Cli({"schedule", "trigger", "--schedule-id", "nightly"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json d = Describe("nightly");
  ASSERT_EQ(d["info"]["recent_actions"].size(), 1u) << d.dump();
  std::string started =
      d["info"]["recent_actions"][0]["start_workflow_result"]["workflow_id"].get<std::string>();
  r = Cli({"workflow", "result", "--workflow-id", started, "--timeout", "30s"}, absl::Seconds(60));
  EXPECT_EQ(r.exit_code, 0) << r.err;

  ASSERT_EQ(Cli({"schedule", "unpause", "--schedule-id", "nightly"}).exit_code, 0);
  r = Cli({"schedule", "describe", "--schedule-id", "nightly"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("State:      active"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("T02:00:00.000Z"), std::string::npos) << r.out;

  ASSERT_EQ(Cli({"schedule", "delete", "--schedule-id", "nightly"}).exit_code, 0);
  r = Cli({"schedule", "describe", "--schedule-id", "nightly"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("NOT_FOUND"), std::string::npos) << r.err;
  EXPECT_EQ(Cli({"workflow", "describe", "--workflow-id", started}).exit_code, 0);
}

}  // namespace
}  // namespace weft::testing
