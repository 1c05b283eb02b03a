// End-to-end test of sticky execution with real processes (weft-server, two
// weft-samples-worker processes, the weft CLI) over loopback with real RocksDB: a worker that
// has a run cached is SIGKILLed; the run's next task, dispatched to the dead worker's sticky
// queue, moves to the normal queue after the sticky schedule-to-start timeout and a new
// worker process finishes the workflow by replaying the whole history.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace weft::testing {
namespace {

using nlohmann::json;

class StickyE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = absl::StrCat("127.0.0.1:", PickFreePort());
    server_ = std::make_unique<Process>(
        std::vector<std::string>{WEFT_SERVER_BIN, "--dev", "--data-dir", dir_.path(),
                                 "--grpc-address", address_, "--http-address", "127.0.0.1:0"});
    ASSERT_TRUE(server_->WaitForLine("weft-server ready", absl::Seconds(60))) << server_->Output();
  }

  std::unique_ptr<Process> StartWorker(const std::string& sticky_timeout_ms) {
    auto w = std::make_unique<Process>(std::vector<std::string>{
        WEFT_SAMPLES_WORKER_BIN, "--address", address_, "--task-queue", "sticky-e2e",
        "--sticky-schedule-to-start-timeout-ms", sticky_timeout_ms});
    EXPECT_TRUE(w->WaitForLine("weft-samples-worker ready", absl::Seconds(60))) << w->Output();
    return w;
  }

  RunResult Cli(std::vector<std::string> args, absl::Duration timeout = absl::Seconds(60)) {
    std::vector<std::string> argv = {WEFT_CLI_BIN, "--address", address_};
    argv.insert(argv.end(), args.begin(), args.end());
    return weft::testing::Run(argv, timeout);
  }

  json History(const std::string& id) {
    RunResult r = Cli({"--output", "json", "workflow", "history", "--workflow-id", id});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json h = json::parse(r.out, nullptr, false);
    return h.is_object() ? h.value("events", json::array()) : json::array();
  }

  static std::vector<json> Events(const json& events, const std::string& type) {
    std::vector<json> out;
    for (const auto& e : events) {
      if (e.value("event_type", "") == type) out.push_back(e);
    }
    return out;
  }

  // Polls the history until it has `n` events of `type` or the deadline passes.
  bool WaitForEvents(const std::string& id, const std::string& type, size_t n,
                     absl::Duration timeout = absl::Seconds(60)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (Events(History(id), type).size() >= n) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  }

  TempDir dir_;
  std::string address_;
  std::unique_ptr<Process> server_;
};

TEST_F(StickyE2eTest, AKilledWorkersStickyRunIsFinishedByANewWorkerAfterTheStickyTimeout) {
  auto first = StartWorker("1000");
  RunResult start = Cli({"workflow", "start", "--task-queue", "sticky-e2e", "--type", "AwaitSignal",
                         "--workflow-id", "sticky-kill"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  // The first worker answered the first task, asking for the run's next one (sticky).
  ASSERT_TRUE(WaitForEvents("sticky-kill", "EVENT_TYPE_WORKFLOW_TASK_COMPLETED", 1))
      << first->Output();
  const std::string first_identity = absl::StrCat(first->pid(), "@");
  json started = Events(History("sticky-kill"), "EVENT_TYPE_WORKFLOW_TASK_STARTED").at(0);
  EXPECT_EQ(started["workflow_task_started_event_attributes"]
                .value("identity", "")
                .rfind(first_identity, 0),
            0u)
      << started.dump();

  first->Signal(SIGKILL);
  first->Wait();
  auto second = StartWorker("5000");
  const std::string second_identity = absl::StrCat(second->pid(), "@");

  // The signal's workflow task goes to the dead worker's sticky queue first.
  RunResult signal = Cli({"workflow", "signal", "--workflow-id", "sticky-kill", "--name", "approve",
                          "--input", R"({"by":"ops"})"});
  ASSERT_EQ(signal.exit_code, 0) << signal.err;
  RunResult result = Cli({"workflow", "result", "--workflow-id", "sticky-kill", "--timeout", "60s"},
                         absl::Seconds(90));
  ASSERT_EQ(result.exit_code, 0) << result.err << "\nserver:\n"
                                 << server_->Output() << "\nworker:\n"
                                 << second->Output();
  EXPECT_EQ(json::parse(result.out, nullptr, false), json::parse(R"({"by":"ops"})"));

  // The new worker started the run's last task, with the whole history. (Normally the copy
  // on the dead worker's sticky queue was never started and the schedule-to-start timeout
  // moved it; if the server handed it to the dying worker's last poll before noticing the
  // closed connection, the start-to-close timeout retried it on the normal queue instead.
  // Without either, the run would wait on the sticky queue forever.)
  json events = History("sticky-kill");
  std::vector<json> starts = Events(events, "EVENT_TYPE_WORKFLOW_TASK_STARTED");
  ASSERT_GE(starts.size(), 2u) << events.dump();
  EXPECT_EQ(starts.back()["workflow_task_started_event_attributes"]
                .value("identity", "")
                .rfind(second_identity, 0),
            0u)
      << starts.back().dump();
  EXPECT_TRUE(Events(events, "EVENT_TYPE_WORKFLOW_TASK_FAILED").empty()) << events.dump();
  EXPECT_EQ(Events(events, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED").size(), 1u);
}

}  // namespace
}  // namespace weft::testing
