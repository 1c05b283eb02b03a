// End-to-end tests: weft-server, weft-samples-worker and the weft CLI run as separate
// processes, talking gRPC over loopback, with real RocksDB on disk, the way a user runs
// them. Includes SIGKILL of the server and of a worker in the middle of work.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace weft::testing {
namespace {

class SamplesE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = PickFreePort();
    address_ = absl::StrCat("127.0.0.1:", port_);
    StartServer();
    StartWorker();
  }

  void StartServer() {
    server_ = std::make_unique<Process>(
        std::vector<std::string>{WEFT_SERVER_BIN, "--dev", "--data-dir", dir_.path(),
                                 "--grpc-address", address_, "--http-address", "127.0.0.1:0"});
    ASSERT_TRUE(server_->WaitForLine("weft-server ready", absl::Seconds(60))) << server_->Output();
  }
  void StartWorker() {
    worker_ = std::make_unique<Process>(
        std::vector<std::string>{WEFT_SAMPLES_WORKER_BIN, "--address", address_});
    ASSERT_TRUE(worker_->WaitForLine("weft-samples-worker ready", absl::Seconds(60)))
        << worker_->Output();
  }

  RunResult Cli(std::vector<std::string> args, absl::Duration timeout = absl::Seconds(60)) {
    std::vector<std::string> argv = {WEFT_CLI_BIN, "--address", address_};
    argv.insert(argv.end(), args.begin(), args.end());
    return weft::testing::Run(argv, timeout);
  }

  void StartWorkflow(const std::string& type, const std::string& id, const std::string& input) {
    RunResult r = Cli({"workflow", "start", "--task-queue", "samples", "--type", type,
                       "--workflow-id", id, "--input", input});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("workflow_id=" + id), std::string::npos) << r.out;
  }

  // `weft workflow result`: its stdout (the result JSON) and exit code.
  RunResult Result(const std::string& id, const std::string& timeout = "60s") {
    return Cli({"workflow", "result", "--workflow-id", id, "--timeout", timeout},
               absl::Seconds(90));
  }

  nlohmann::json HistoryJson(const std::string& id) {
    RunResult r = Cli({"--output", "json", "workflow", "history", "--workflow-id", id});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  }

  static int CountEvents(const nlohmann::json& history, const std::string& type) {
    int n = 0;
    const auto& events = history.is_array() ? history : history.value("events", nlohmann::json());
    for (const auto& e : events) {
      if (e.value("event_type", "") == type) ++n;
    }
    return n;
  }

  // Starts SlowGreeting, SIGKILLs the worker once the activity runs there, starts another
  // worker, and checks the run completes with attempt 2 of the activity in its history.
  void KillWorkerMidActivity(const std::string& id, const std::string& input) {
    StartWorkflow("SlowGreeting", id, input);
    // Wait (bounded) until the activity runs on the worker.
    bool started = false;
    for (int i = 0; i < 300 && !started; ++i) {
      RunResult d = Cli({"--output", "json", "workflow", "describe", "--workflow-id", id});
      auto j = nlohmann::json::parse(d.out, nullptr, false);
      if (j.is_object() && j.contains("pending_activities")) {
        for (const auto& a : j["pending_activities"]) started |= a.value("state", "") == "STARTED";
      }
    }
    ASSERT_TRUE(started);
    worker_->Signal(SIGKILL);
    worker_->Wait();
    StartWorker();
    RunResult r = Result(id);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "\"Hello, Ada!\"\n");
    nlohmann::json h = HistoryJson(id);
    const auto& events = h.is_array() ? h : h.value("events", nlohmann::json());
    int attempt = 0;
    for (const auto& e : events) {
      if (e.value("event_type", "") == "EVENT_TYPE_ACTIVITY_TASK_STARTED") {
        attempt = e["activity_task_started_event_attributes"].value("attempt", 0);
      }
    }
    EXPECT_EQ(attempt, 2) << h.dump();
  }

  TempDir dir_;
  int port_ = 0;
  std::string address_;
  std::unique_ptr<Process> server_;
  std::unique_ptr<Process> worker_;
};

TEST_F(SamplesE2eTest, SamplesRunThroughTheCli) {
  StartWorkflow("Greeting", "greet-1", "\"World\"");
  RunResult r = Result("greet-1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "\"Hello, World!\"\n");

  StartWorkflow("Sleep", "sleep-1", "1");
  r = Result("sleep-1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out), 1);

  StartWorkflow("Flaky", "flaky-1", "2");
  r = Result("flaky-1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "3\n");  // failed twice, succeeded on attempt 3

  StartWorkflow("AwaitSignal", "signal-1", "null");
  RunResult s = Cli({"workflow", "signal", "--workflow-id", "signal-1", "--name", "approve",
                     "--input", R"({"by":"ops"})"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  r = Result("signal-1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::parse(R"({"by":"ops"})"));
}

TEST_F(SamplesE2eTest, ParentChildCombinesItsChildrensResults) {
  StartWorkflow("ParentChild", "parent-child-1", "null");
  RunResult r = Result("parent-child-1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out, nullptr, false),
            nlohmann::json::parse(R"({"results":[101,4,9],"sum":114})"));
}

TEST_F(SamplesE2eTest, ResultExitCodeReportsFailureOutcomes) {
  StartWorkflow("AwaitSignal", "term-1", "null");
  RunResult t = Cli({"workflow", "terminate", "--workflow-id", "term-1", "--reason", "test"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  RunResult r = Result("term-1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("terminated"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("test"), std::string::npos) << r.err;

  RunResult missing = Result("no-such-workflow");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;
}

TEST_F(SamplesE2eTest, ServerSigkillLosesNothingAndFinishesOnce) {
  std::vector<std::string> sleeps, greetings;
  for (int i = 0; i < 6; ++i) {
    sleeps.push_back(absl::StrCat("sleep-", i));
    StartWorkflow("Sleep", sleeps.back(), "2");
    greetings.push_back(absl::StrCat("greet-", i));
    StartWorkflow("Greeting", greetings.back(), absl::StrCat("\"n", i, "\""));
  }
  // Every start above was acknowledged; now the server dies without any warning.
  server_->Signal(SIGKILL);
  EXPECT_EQ(server_->Wait(), 128 + SIGKILL);
  StartServer();
  for (int i = 0; i < 6; ++i) {
    RunResult r = Result(sleeps[i]);
    EXPECT_EQ(r.exit_code, 0) << sleeps[i] << ": " << r.err;
    EXPECT_EQ(r.out, "2\n") << sleeps[i];
    r = Result(greetings[i]);
    EXPECT_EQ(r.exit_code, 0) << greetings[i] << ": " << r.err;
    EXPECT_EQ(r.out, absl::StrCat("\"Hello, n", i, "!\"\n"));
  }
  // Kill it once more after everything closed: results stay, and each run completed once.
  server_->Signal(SIGKILL);
  server_->Wait();
  StartServer();
  for (const auto& id : sleeps) {
    nlohmann::json h = HistoryJson(id);
    EXPECT_EQ(CountEvents(h, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"), 1) << id << h.dump();
    EXPECT_EQ(CountEvents(h, "EVENT_TYPE_TIMER_FIRED"), 1) << id;
  }
}

TEST_F(SamplesE2eTest, WorkerSigkillMidActivityRetriesAfterHeartbeatTimeout) {
  KillWorkerMidActivity("slow-hb", R"({"name":"Ada","seconds":2})");
}

TEST_F(SamplesE2eTest, WorkerSigkillMidActivityRetriesAfterStartToCloseTimeout) {
  // No heartbeat timeout: only the activity's start-to-close timeout (2 s + 2 s) notices.
  KillWorkerMidActivity("slow-stc", R"({"name":"Ada","seconds":2,"heartbeat_timeout_seconds":0})");
}

}  // namespace
}  // namespace weft::testing
