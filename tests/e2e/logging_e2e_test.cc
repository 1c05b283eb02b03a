// End-to-end: weft-server's structured logs. A real weft-server process (RocksDB on disk,
// gRPC over loopback) writes one JSON object per stderr line; `weft log-level set` turns the
// frontend's debug lines on while it runs, and a later CLI call shows up as such a line with
// its request context. Bad log flags are refused at start.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace weft::testing {
namespace {

class LoggingE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = absl::StrCat("127.0.0.1:", PickFreePort());
    server_ = std::make_unique<Process>(
        std::vector<std::string>{WEFT_SERVER_BIN, "--dev", "--data-dir", dir_.path(),
                                 "--grpc-address", address_, "--http-address", "127.0.0.1:0"});
    ASSERT_TRUE(server_->WaitForLine("weft-server ready", absl::Seconds(60))) << server_->Output();
  }

  RunResult Cli(std::vector<std::string> args) {
    std::vector<std::string> argv = {WEFT_CLI_BIN, "--address", address_};
    argv.insert(argv.end(), args.begin(), args.end());
    return weft::testing::Run(argv, absl::Seconds(60));
  }

  TempDir dir_;
  std::string address_;
  std::unique_ptr<Process> server_;
};

TEST_F(LoggingE2eTest, JsonLinesAndLevelsChangedAtRunTime) {
  // At the default level (info) an RPC writes no line.
  RunResult r = Cli({"namespace", "describe", "default"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  r = Cli({"log-level"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Default level: info"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("frontend"), std::string::npos) << r.out;

  r = Cli({"log-level", "set", "debug", "--component", "frontend"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("log level of frontend set to debug"), std::string::npos) << r.out;

  r = Cli({"--output", "json", "log-level"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto levels = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(levels.is_object()) << r.out;
  EXPECT_EQ(levels.value("default_level", ""), "info") << r.out;
  bool frontend_debug = false, history_info = false;
  for (const auto& l : levels["levels"]) {
    frontend_debug |= l["component"] == "frontend" && l["level"] == "debug";
    history_info |= l["component"] == "history" && l["level"] == "info";
  }
  EXPECT_TRUE(frontend_debug) << r.out;
  EXPECT_TRUE(history_info) << r.out;

  // A bad level is refused with the valid ones named, and changes nothing.
  r = Cli({"log-level", "set", "verbose", "--component", "frontend"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("trace, debug, info, warn, error or off"), std::string::npos) << r.err;

  r = Cli({"workflow", "start", "--task-queue", "nobody-polls", "--type", "Greeting",
           "--workflow-id", "logged-start", "--input", "\"Ada\""});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto line = server_->WaitForLine("\"method\":\"StartWorkflowExecution\"", absl::Seconds(30));
  ASSERT_TRUE(line) << server_->Output();
  auto rpc = nlohmann::json::parse(*line, nullptr, false);
  ASSERT_TRUE(rpc.is_object()) << *line;
  EXPECT_EQ(rpc.value("level", ""), "debug") << *line;
  EXPECT_EQ(rpc.value("component", ""), "frontend") << *line;
  EXPECT_EQ(rpc.value("message", ""), "rpc completed") << *line;
  EXPECT_EQ(rpc.value("namespace", ""), "default") << *line;
  EXPECT_EQ(rpc.value("workflow_id", ""), "logged-start") << *line;
  EXPECT_EQ(rpc.value("code", ""), "OK") << *line;
  EXPECT_EQ(rpc.value("request_id", "").size(), 36u) << *line;  // generated: a UUID
  EXPECT_EQ(rpc.value("trace_id", "").size(), 32u) << *line;
  EXPECT_EQ(rpc.value("run_id", "").size(), 36u) << *line;
  EXPECT_TRUE(rpc.contains("duration_ms")) << *line;

  // Back to info: the frontend is quiet again.
  r = Cli({"log-level", "set", "info"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Cli({"workflow", "describe", "--workflow-id", "logged-start"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  server_->Signal(SIGTERM);
  ASSERT_EQ(server_->Wait(), 0) << server_->Output();
  EXPECT_FALSE(absl::StrContains(server_->Output(), "DescribeWorkflowExecution"))
      << server_->Output();

  // Every line is a JSON object with time, level, component and message, except the one
  // stdout line that scripts wait for.
  int json_lines = 0;
  bool started = false, stopped = false, level_changed = false;
  for (absl::string_view l : absl::StrSplit(server_->Output(), '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(l, "weft-server ready grpc=")) continue;
    auto j = nlohmann::json::parse(l.begin(), l.end(), nullptr, false);
    ASSERT_TRUE(j.is_object()) << "not a JSON line: " << l;
    for (const char* key : {"time", "level", "component", "message"}) {
      ASSERT_TRUE(j.contains(key) && j[key].is_string()) << key << " missing in " << l;
    }
    ++json_lines;
    started |= j["message"] == "server started" && j.value("grpc_address", "") == address_;
    stopped |= j["message"] == "server stopped";
    level_changed |=
        j["message"] == "log level changed" && j.value("log_component", "") == "frontend";
  }
  EXPECT_GE(json_lines, 4);
  EXPECT_TRUE(started) << server_->Output();
  EXPECT_TRUE(stopped) << server_->Output();
  EXPECT_TRUE(level_changed) << server_->Output();
}

TEST(LoggingFlagsE2eTest, BadLogFlagsAreRefusedAtStart) {
  TempDir dir;
  RunResult r = weft::testing::Run(
      {WEFT_SERVER_BIN, "--dev", "--data-dir", dir.path(), "--grpc-address", "127.0.0.1:0",
       "--http-address", "127.0.0.1:0", "--log-level", "info,histroy=debug"},
      absl::Seconds(30));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown component \\\"histroy\\\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("history"), std::string::npos) << r.err;

  r = weft::testing::Run({WEFT_SERVER_BIN, "--dev", "--data-dir", dir.path(), "--log-level", "loud",
                          "--log-format", "text"},
                         absl::Seconds(30));
  EXPECT_EQ(r.exit_code, 2);
  // --log-format text: a human line, not JSON.
  EXPECT_NE(r.err.find("ERROR app: invalid configuration: log-level: unknown level \"loud\""),
            std::string::npos)
      << r.err;

  r = weft::testing::Run(
      {WEFT_SERVER_BIN, "--dev", "--data-dir", dir.path(), "--log-format", "xml"},
      absl::Seconds(30));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("use json or text"), std::string::npos) << r.err;

  // The YAML keys are checked the same way.
  std::string config = dir.path() + "/weft.yaml";
  std::ofstream(config) << "log-level: warn,frontend=loud\n";
  r = weft::testing::Run({WEFT_SERVER_BIN, "--dev", "--data-dir", dir.path(), "--config", config},
                         absl::Seconds(30));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown level \\\"loud\\\" in \\\"frontend=loud\\\""), std::string::npos)
      << r.err;
}

TEST(LoggingFlagsE2eTest, TextFormatFromTheConfigFile) {
  TempDir dir;
  std::string config = dir.path() + "/weft.yaml";
  std::ofstream(config) << "log-format: text\nlog-level: warn,app=info\n";
  Process server({WEFT_SERVER_BIN, "--dev", "--data-dir", dir.path() + "/data", "--config", config,
                  "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0"});
  ASSERT_TRUE(server.WaitForLine("weft-server ready", absl::Seconds(60))) << server.Output();
  server.Signal(SIGTERM);
  ASSERT_EQ(server.Wait(), 0) << server.Output();
  std::string out = server.Output();
  EXPECT_NE(out.find(" INFO app: server started grpc_address=127.0.0.1:"), std::string::npos)
      << out;
  EXPECT_NE(out.find(" INFO app: server stopped"), std::string::npos) << out;
  // history and storage are at warn: their start-up lines are not written.
  EXPECT_EQ(out.find("history shards open"), std::string::npos) << out;
  EXPECT_EQ(out.find("RocksDB opened"), std::string::npos) << out;
  EXPECT_EQ(out.find("{\""), std::string::npos) << out;
}

}  // namespace
}  // namespace weft::testing
