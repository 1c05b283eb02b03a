// End-to-end tests of child workflows with real processes: weft-server (real RocksDB on disk),
// weft-samples-worker and the weft CLI over loopback gRPC. The ParentChild sample runs through
// the CLI, and a server SIGKILL while the children wait on their timers loses nothing: after
// a restart on the same data directory the parent completes exactly once with its children's
// results.
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

using nlohmann::json;

class ChildWorkflowE2eTest : public ::testing::Test {
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

  void StartWorkflow(const std::string& type, const std::string& id, const std::string& input) {
    RunResult r = Cli({"workflow", "start", "--task-queue", "samples", "--type", type,
                       "--workflow-id", id, "--input", input});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  json ResultJson(const std::string& id) {
    RunResult r =
        Cli({"workflow", "result", "--workflow-id", id, "--timeout", "60s"}, absl::Seconds(90));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  }

  json Describe(const std::string& id) {
    RunResult r = Cli({"--output", "json", "workflow", "describe", "--workflow-id", id});
    return json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  }

  int CountEvents(const std::string& id, const std::string& type) {
    RunResult r = Cli({"--output", "json", "workflow", "history", "--workflow-id", id});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json h = json::parse(r.out, nullptr, false);
    const json events = h.is_array() ? h : h.value("events", json::array());
    int n = 0;
    for (const auto& e : events) n += e.value("event_type", "") == type;
    return n;
  }

  TempDir dir_;
  std::string address_;
  std::unique_ptr<Process> server_;
  std::unique_ptr<Process> worker_;
};

TEST_F(ChildWorkflowE2eTest, ParentChildSampleRunsThroughTheCli) {
  StartWorkflow("ParentChild", "family-1", "null");
  EXPECT_EQ(ResultJson("family-1"), json::parse(R"({"results":[101,4,9],"sum":114})"));
  StartWorkflow("ParentChild", "family-5", R"({"children":5})");
  EXPECT_EQ(ResultJson("family-5"), json::parse(R"({"results":[101,4,9,16,25],"sum":155})"));
  // The children are workflows of their own, named after the parent, with their parent.
  json child = Describe("family-5/child-3");
  ASSERT_TRUE(child.is_object());
  EXPECT_EQ(child["workflow_execution_info"]["parent_execution"]["workflow_id"], "family-5")
      << child.dump();
  RunResult h = Cli({"workflow", "history", "--workflow-id", "family-1"});
  EXPECT_NE(h.out.find("ChildWorkflowExecutionCompleted"), std::string::npos) << h.out;
  EXPECT_NE(h.out.find("ExternalWorkflowExecutionSignaled"), std::string::npos) << h.out;
}

TEST_F(ChildWorkflowE2eTest, ServerSigkillWhileChildrenRunFinishesTheParentOnce) {
  StartWorkflow("ParentChild", "family-kill", R"({"children":2,"sleep_ms":4000})");
  // Wait (bounded) until both children run: the parent lists them with their run ids.
  bool running = false;
  for (int i = 0; i < 600 && !running; ++i) {
    json d = Describe("family-kill");
    int started = 0;
    if (d.is_object() && d.contains("pending_children")) {
      for (const auto& c : d["pending_children"]) started += !c.value("run_id", "").empty();
    }
    running = started == 2;
  }
  ASSERT_TRUE(running);
  RunResult text = Cli({"workflow", "describe", "--workflow-id", "family-kill"});
  EXPECT_NE(text.out.find("Pending children: 2"), std::string::npos) << text.out;

  server_->Signal(SIGKILL);
  EXPECT_EQ(server_->Wait(), 128 + SIGKILL);
  StartServer();  // same data directory; the worker reconnects by itself

  EXPECT_EQ(ResultJson("family-kill"), json::parse(R"({"results":[101,4],"sum":105})"));
  // Exactly once: one close of the parent, one start and one outcome per child, one timer
  // per child.
  EXPECT_EQ(CountEvents("family-kill", "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"), 1);
  EXPECT_EQ(CountEvents("family-kill", "EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED"), 2);
  EXPECT_EQ(CountEvents("family-kill", "EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED"), 2);
  for (const char* child : {"family-kill/child-1", "family-kill/child-2"}) {
    EXPECT_EQ(CountEvents(child, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"), 1) << child;
    EXPECT_EQ(CountEvents(child, "EVENT_TYPE_TIMER_FIRED"), 1) << child;
  }
  EXPECT_EQ(CountEvents("family-kill/child-1", "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED"), 1);
}

}  // namespace
}  // namespace weft::testing
