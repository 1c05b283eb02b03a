// End-to-end: `weft task-queue describe` and `weft workflow start --priority` against a real
// weft-server process (RocksDB on disk, gRPC over loopback) with a real weft-samples-worker
// polling under a dispatch rate limit.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace weft::testing {
namespace {

class TaskQueueE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = absl::StrCat("127.0.0.1:", PickFreePort());
    server_ = std::make_unique<Process>(
        std::vector<std::string>{WEFT_SERVER_BIN, "--dev", "--data-dir", dir_.path(),
                                 "--grpc-address", address_, "--http-address", "127.0.0.1:0"});
    ASSERT_TRUE(server_->WaitForLine("weft-server ready", absl::Seconds(60))) << server_->Output();
    worker_ = std::make_unique<Process>(std::vector<std::string>{
        WEFT_SAMPLES_WORKER_BIN, "--address", address_, "--activities-per-second", "50"});
    ASSERT_TRUE(worker_->WaitForLine("weft-samples-worker ready", absl::Seconds(60)))
        << worker_->Output();
  }

  RunResult Cli(std::vector<std::string> args) {
    std::vector<std::string> argv = {WEFT_CLI_BIN, "--address", address_};
    argv.insert(argv.end(), args.begin(), args.end());
    return weft::testing::Run(argv, absl::Seconds(90));
  }

  TempDir dir_;
  std::string address_;
  std::unique_ptr<Process> server_;
  std::unique_ptr<Process> worker_;
};

TEST_F(TaskQueueE2eTest, DescribeShowsTheWorkerItsRateAndWhatWasDispatched) {
  RunResult r = Cli({"workflow", "start", "--task-queue", "samples", "--type", "Greeting",
                     "--workflow-id", "prio-greet", "--input", "\"Ada\"", "--priority", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Cli({"workflow", "result", "--workflow-id", "prio-greet", "--timeout", "60s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "\"Hello, Ada!\"\n");

  // The priority is recorded in the run's first event.
  r = Cli({"--output", "json", "workflow", "history", "--workflow-id", "prio-greet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto h = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  const auto& events = h.is_array() ? h : h.value("events", nlohmann::json());
  ASSERT_FALSE(events.empty()) << r.out;
  EXPECT_EQ(events[0]["workflow_execution_started_event_attributes"].value("priority", 0), 2)
      << events[0].dump();

  // The worker's activity pollers, with the rate they ask for; the greeting's activity was
  // dispatched through this queue.
  const std::string identity_prefix = absl::StrCat(worker_->pid(), "@");
  r = Cli({"task-queue", "describe", "--task-queue", "samples", "--type", "activity"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Task queue: samples (activity)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Rate limit: 50/s (the lowest any poller asks for)\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Dispatched: 1 since the server started\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Backlog:    0\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n" + identity_prefix), std::string::npos) << r.out;

  r = Cli({"--output", "json", "task-queue", "describe", "--task-queue", "samples", "--type",
           "activity"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto d = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(d.is_object()) << r.out;
  ASSERT_EQ(d["pollers"].size(), 1u) << r.out;  // one worker process, one identity
  EXPECT_EQ(d["pollers"][0]["identity"].get<std::string>().rfind(identity_prefix, 0), 0u);
  EXPECT_EQ(d["pollers"][0]["rate_per_second"], 50);
  EXPECT_EQ(d["task_queue_status"]["rate_per_second"], 50);

  // The workflow side: the same worker polls it, with no rate limit.
  r = Cli({"task-queue", "describe", "--task-queue", "samples"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Task queue: samples (workflow)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Rate limit: none\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n" + identity_prefix), std::string::npos) << r.out;

  // A queue nobody polls is an empty answer; a bad priority is refused before any call.
  r = Cli({"task-queue", "describe", "--task-queue", "nobody-here", "--type", "activity"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Pollers:    none in the last 5 minutes\n"), std::string::npos) << r.out;
  r = Cli(
      {"workflow", "start", "--task-queue", "samples", "--type", "Greeting", "--priority", "9"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("--priority"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace weft::testing
