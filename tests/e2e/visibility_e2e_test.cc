// End-to-end: search attributes and list queries through the real `weft` CLI against a real
// weft-server process (RocksDB on disk, gRPC over loopback) and a real weft-samples-worker
// running the OrderStages sample, which upserts its stage as a search attribute. The
// indexes survive a server SIGKILL.
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

using json = nlohmann::json;

class VisibilityE2eTest : public ::testing::Test {
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

  RunResult Cli(std::vector<std::string> args) {
    std::vector<std::string> argv = {WEFT_CLI_BIN, "--address", address_};
    argv.insert(argv.end(), args.begin(), args.end());
    return weft::testing::Run(argv, absl::Seconds(90));
  }

  // The workflow ids `weft workflow list --query q` prints, newest first.
  std::vector<std::string> ListIds(const std::string& query) {
    RunResult r = Cli({"--output", "json", "workflow", "list", "--query", query});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> ids;
    json j = json::parse(r.out, nullptr, false);
    if (!j.is_object()) return ids;
    for (const auto& e : j.value("executions", json::array())) {
      ids.push_back(e["execution"].value("workflow_id", ""));
    }
    return ids;
  }

  // Polls the list query until it prints exactly `want` or 30 s pass.
  bool WaitForList(const std::string& query, const std::vector<std::string>& want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      if (ListIds(query) == want) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return ListIds(query) == want;
  }

  TempDir dir_;
  std::string address_;
  std::unique_ptr<Process> server_;
  std::unique_ptr<Process> worker_;
};

TEST_F(VisibilityE2eTest, CliFindsRunsBySearchAttributesUpsertedByTheWorkflow) {
  RunResult r = Cli({"search-attribute", "add", "--name", "OrderStage", "--type", "keyword"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Cli({"search-attribute", "add", "--name", "Region", "--name", "Tier", "--type", "keyword"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Cli({"search-attribute", "add", "--name", "Total", "--type", "int"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Cli({"search-attribute", "add", "--name", "Total", "--type", "keyword"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("already exists with type Int"), std::string::npos) << r.err;
  r = Cli({"search-attribute", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("OrderStage"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ExecutionStatus"), std::string::npos) << r.out;

  // Two orders wait for `advance` signals; a greeting completes on its own.
  for (const auto& [id, region, total] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"order-eu", "eu", "120"},
                                                                      {"order-us", "us", "80"}}) {
    r = Cli({"workflow", "start", "--task-queue", "samples", "--type", "OrderStages",
             "--workflow-id", id, "--input", R"({"await_signal":true})", "--search-attr",
             "OrderStage=new", "--search-attr", "Region=" + region, "--search-attr",
             "Total=" + total});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  r = Cli({"workflow", "start", "--task-queue", "samples", "--type", "Greeting", "--workflow-id",
           "greet", "--input", "\"Ada\""});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // A value of the wrong type is refused by the CLI before any start.
  r = Cli({"workflow", "start", "--task-queue", "samples", "--type", "OrderStages", "--search-attr",
           "Total=lots"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("Total is registered as int; expected an integer"), std::string::npos)
      << r.err;

  // The workflows' first upsert (stage "received") shows in list and count.
  ASSERT_TRUE(WaitForList("OrderStage = 'received' ORDER BY Total ASC", {"order-us", "order-eu"}));
  EXPECT_EQ(ListIds("OrderStage = 'received' AND Region = 'eu' AND Total > 100"),
            std::vector<std::string>{"order-eu"});
  r = Cli(
      {"workflow", "count", "--query", "OrderStage = 'received' AND ExecutionStatus = 'Running'"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "2\n");
  r = Cli({"workflow", "describe", "--workflow-id", "order-eu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Search attributes:\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OrderStage = \"received\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Region = \"eu\""), std::string::npos) << r.out;

  // Advance order-eu to the end: it completes at stage "shipped".
  for (int i = 0; i < 2; ++i) {
    r = Cli(
        {"workflow", "signal", "--workflow-id", "order-eu", "--name", "advance", "--input", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  r = Cli({"workflow", "result", "--workflow-id", "order-eu", "--timeout", "60s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), json({{"stage", "shipped"}}));
  EXPECT_EQ(ListIds("OrderStage = 'shipped' AND ExecutionStatus = 'Completed'"),
            std::vector<std::string>{"order-eu"});
  EXPECT_EQ(ListIds("OrderStage = 'received'"), std::vector<std::string>{"order-us"});
  // The old flags still work, ANDed with a query.
  r = Cli({"--output", "json", "workflow", "list", "--status", "running", "--query",
           "Region STARTS_WITH 'u'"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("order-us"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("order-eu"), std::string::npos) << r.out;

  // A bad query is a clear error, not a crash.
  r = Cli({"workflow", "list", "--query", "OrderStage ="});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("expected a value after '='"), std::string::npos) << r.err;
  r = Cli({"workflow", "count", "--query", "Stage = 'x'"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("unknown search attribute 'Stage'"), std::string::npos) << r.err;

  // Everything acknowledged is on disk: after a SIGKILL the indexes answer the same.
  server_->Signal(SIGKILL);
  EXPECT_EQ(server_->Wait(), 128 + SIGKILL);
  StartServer();
  EXPECT_EQ(ListIds("OrderStage = 'shipped'"), std::vector<std::string>{"order-eu"});
  EXPECT_EQ(ListIds("Total < 100"), std::vector<std::string>{"order-us"});
  r = Cli({"workflow", "count"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "3\n");
}

}  // namespace
}  // namespace weft::testing
