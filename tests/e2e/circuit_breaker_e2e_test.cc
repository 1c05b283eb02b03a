// End-to-end test of the server-side circuit breakers: weft-server, weft-samples-worker and
// the weft CLI as separate processes over loopback with real RocksDB. The GuardedDownstream
// sample's downstream is a file the test writes ("down" / "up"); each call appends a line to
// a log file, so the test counts the calls that got through.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
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

class CircuitBreakerE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = absl::StrCat("127.0.0.1:", PickFreePort());
    downstream_ = dir_.path() + "/downstream";
    log_ = dir_.path() + "/calls";
    StartServer();
    worker_ = std::make_unique<Process>(
        std::vector<std::string>{WEFT_SAMPLES_WORKER_BIN, "--address", address_});
    ASSERT_TRUE(worker_->WaitForLine("weft-samples-worker ready", absl::Seconds(60)))
        << worker_->Output();
  }

  void StartServer() {
    server_ = std::make_unique<Process>(
        std::vector<std::string>{WEFT_SERVER_BIN, "--dev", "--data-dir", dir_.path() + "/data",
                                 "--grpc-address", address_, "--http-address", "127.0.0.1:0"});
    ASSERT_TRUE(server_->WaitForLine("weft-server ready", absl::Seconds(60))) << server_->Output();
  }

  RunResult Cli(std::vector<std::string> args, absl::Duration timeout = absl::Seconds(60)) {
    std::vector<std::string> argv = {WEFT_CLI_BIN, "--address", address_};
    argv.insert(argv.end(), args.begin(), args.end());
    return weft::testing::Run(argv, timeout);
  }

  void SetDownstream(const std::string& state) { std::ofstream(downstream_) << state << "\n"; }

  int Calls() {
    std::ifstream in(log_);
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }

  json Breaker() {
    RunResult r =
        Cli({"--output", "json", "breaker", "describe", "--activity-type", "CallDownstream"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    return j.is_object() ? j.value("breaker", json::object()) : json::object();
  }
  static int64_t TimesOpened(const json& b) {
    return b.contains("times_opened") ? std::stoll(b["times_opened"].get<std::string>()) : 0;
  }

  // Polls `cond` until it holds or `timeout` passes.
  template <typename Fn>
  bool WaitFor(Fn cond, absl::Duration timeout = absl::Seconds(60)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (cond()) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return cond();
  }

  TempDir dir_;
  std::string address_, downstream_, log_;
  std::unique_ptr<Process> server_;
  std::unique_ptr<Process> worker_;
};

TEST_F(CircuitBreakerE2eTest, TheCliShowsAnOpenBreakerThatSurvivesARestartAndLetsGoOnRecovery) {
  RunResult update = Cli({"namespace", "update", "--breaker-enabled", "--breaker-min-attempts", "3",
                          "--breaker-window", "30s", "--breaker-open-duration", "1s"});
  ASSERT_EQ(update.exit_code, 0) << update.err;
  EXPECT_NE(update.out.find("Circuit breakers: on"), std::string::npos) << update.out;

  SetDownstream("down");
  const std::string input = json{{"downstream", downstream_}, {"log", log_}}.dump();
  constexpr int kWorkflows = 3;
  for (int i = 0; i < kWorkflows; ++i) {
    RunResult r =
        Cli({"workflow", "start", "--task-queue", "samples", "--type", "GuardedDownstream",
             "--workflow-id", absl::StrCat("guarded-", i), "--input", input});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // The breaker opens, and the CLI says so.
  ASSERT_TRUE(WaitFor([&] {
    RunResult r = Cli({"breaker", "describe", "--activity-type", "CallDownstream"});
    return r.exit_code == 0 && r.out.find("State:          OPEN") != std::string::npos;
  })) << Breaker().dump();
  RunResult list = Cli({"breaker", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("CallDownstream"), std::string::npos) << list.out;
  ASSERT_TRUE(WaitFor([&] {
    RunResult r = Cli({"--output", "json", "workflow", "describe", "--workflow-id", "guarded-2"});
    return r.out.find("BREAKER_OPEN") != std::string::npos;
  }));

  // While it is open the downstream sees only probes: one per open_duration (1 s).
  const int64_t opened = TimesOpened(Breaker());
  const int calls_before = Calls();
  const absl::Time t0 = absl::Now();
  ASSERT_TRUE(WaitFor([&] { return TimesOpened(Breaker()) >= opened + 2; })) << Breaker().dump();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - t0);
  EXPECT_LE(Calls() - calls_before, static_cast<int>(seconds) + 2)
      << "calls while open over " << seconds << " s";

  // SIGKILL the server while the breaker is open; the held attempts are on disk. After the
  // restart the breaker starts closed (its window is in memory), and opens again.
  server_->Signal(SIGKILL);
  server_->Wait();
  StartServer();
  ASSERT_TRUE(WaitFor([&] { return TimesOpened(Breaker()) >= 1; })) << Breaker().dump();

  // The downstream recovers: a probe succeeds and every workflow completes.
  SetDownstream("up");
  for (int i = 0; i < kWorkflows; ++i) {
    RunResult r = Cli(
        {"workflow", "result", "--workflow-id", absl::StrCat("guarded-", i), "--timeout", "60s"},
        absl::Seconds(90));
    ASSERT_EQ(r.exit_code, 0) << "guarded-" << i << ": " << r.err << worker_->Output();
    EXPECT_NE(r.out.find("ok"), std::string::npos) << r.out;
  }
  json b = Breaker();
  EXPECT_EQ(b.value("state", ""), "CIRCUIT_BREAKER_STATE_CLOSED") << b.dump();

  // An operator forces it open; a new workflow waits without calling the downstream.
  RunResult force = Cli({"breaker", "force-open", "--activity-type", "CallDownstream", "--reason",
                         "bank maintenance"});
  ASSERT_EQ(force.exit_code, 0) << force.err;
  const int calls_at_force = Calls();
  RunResult start = Cli({"workflow", "start", "--task-queue", "samples", "--type",
                         "GuardedDownstream", "--workflow-id", "guarded-forced", "--input", input});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  ASSERT_TRUE(WaitFor([&] {
    RunResult r =
        Cli({"--output", "json", "workflow", "describe", "--workflow-id", "guarded-forced"});
    return r.out.find("BREAKER_OPEN") != std::string::npos;
  }));
  EXPECT_EQ(Calls(), calls_at_force);
  RunResult described = Cli({"breaker", "describe", "--activity-type", "CallDownstream"});
  EXPECT_NE(described.out.find("FORCE_OPEN (bank maintenance)"), std::string::npos)
      << described.out;
  RunResult release = Cli({"breaker", "auto", "--activity-type", "CallDownstream"});
  ASSERT_EQ(release.exit_code, 0) << release.err;
  RunResult r = Cli({"workflow", "result", "--workflow-id", "guarded-forced", "--timeout", "60s"},
                    absl::Seconds(90));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Calls(), calls_at_force + 1);
}

}  // namespace
}  // namespace weft::testing
