// End-to-end tests of the workflow model (queries, continue-as-new, versioning, heartbeats,
// cancellation with compensation): weft-server, weft-samples-worker and the weft CLI run as
// separate processes over loopback with real RocksDB, driving the samples in samples/.
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

class WorkflowModelE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = PickFreePort();
    address_ = absl::StrCat("127.0.0.1:", port_);
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

  // Starts `type` as `id`; no --input when `input` is empty.
  void StartWorkflow(const std::string& type, const std::string& id,
                     const std::string& input = "") {
    std::vector<std::string> args = {"workflow", "start", "--task-queue",  "samples",
                                     "--type",   type,    "--workflow-id", id};
    if (!input.empty()) {
      args.push_back("--input");
      args.push_back(input);
    }
    RunResult r = Cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  RunResult Result(const std::string& id, const std::string& timeout = "60s") {
    return Cli({"workflow", "result", "--workflow-id", id, "--timeout", timeout},
               absl::Seconds(90));
  }

  // The completed result as JSON (fails the test otherwise).
  json ResultJson(const std::string& id) {
    RunResult r = Result(id);
    EXPECT_EQ(r.exit_code, 0) << id << ": " << r.err;
    return json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  }

  RunResult Query(const std::string& id, const std::string& name, const std::string& run_id = "") {
    std::vector<std::string> args = {"workflow", "query", "--workflow-id", id, "--name", name};
    if (!run_id.empty()) {
      args.push_back("--run-id");
      args.push_back(run_id);
    }
    return Cli(args);
  }

  // Queries until the answer equals `want` or the deadline passes (signals reach history at
  // once, but a workflow task in flight holds them back until it completes). Returns the
  // last answer. Skips the test if the server does not implement queries.
  json QueryUntil(const std::string& id, const std::string& name, const json& want,
                  absl::Duration timeout = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + timeout;
    json last;
    while (absl::Now() < deadline) {
      RunResult r = Query(id, name);
      if (r.exit_code == 0) {
        last = json::parse(r.out, nullptr, false);
        if (last == want) return last;
      } else {
        last = r.err;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    return last;
  }

  bool QueriesUnimplemented() {
    RunResult r = Query("no-such-workflow", "count");
    return r.err.find("UNIMPLEMENTED") != std::string::npos;
  }

  json HistoryJson(const std::string& id, const std::string& run_id = "") {
    std::vector<std::string> args = {"--output", "json",          "workflow",
                                     "history",  "--workflow-id", id};
    if (!run_id.empty()) {
      args.push_back("--run-id");
      args.push_back(run_id);
    }
    RunResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json h = json::parse(r.out, nullptr, false);
    return h.is_object() ? h.value("events", json::array()) : json::array();
  }

  // Protobuf's JSON writes int64 fields as strings.
  static int64_t EventId(const json& e) {
    const json& id = e.value("event_id", json(0));
    return id.is_string() ? std::stoll(id.get<std::string>()) : id.get<int64_t>();
  }

  static std::vector<json> Events(const json& events, const std::string& type) {
    std::vector<json> out;
    for (const auto& e : events) {
      if (e.value("event_type", "") == type) out.push_back(e);
    }
    return out;
  }

  // Waits (without a long poll) until the current run of `id` has status `status`.
  bool WaitForStatus(const std::string& id, const std::string& status,
                     absl::Duration timeout = absl::Seconds(60)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      RunResult d = Cli({"--output", "json", "workflow", "describe", "--workflow-id", id});
      json j = json::parse(d.out, nullptr, false);
      if (j.is_object() && j["workflow_execution_info"].value("status", "") == status) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  }

  // Starts ContinueAsNewCounter with `input`; returns the first run's id.
  std::string StartChain(const std::string& id, const std::string& input) {
    RunResult start =
        Cli({"--output", "json", "workflow", "start", "--task-queue", "samples", "--type",
             "ContinueAsNewCounter", "--workflow-id", id, "--input", input});
    EXPECT_EQ(start.exit_code, 0) << start.err;
    json j = json::parse(start.out, nullptr, false);
    return j.is_object() ? j.value("run_id", "") : "";
  }

  TempDir dir_;
  int port_ = 0;
  std::string address_;
  std::unique_ptr<Process> server_;
  std::unique_ptr<Process> worker_;
};

TEST_F(WorkflowModelE2eTest, QueryableCounterAnswersWhileRunningAndAfterClosing) {
  if (QueriesUnimplemented()) GTEST_SKIP() << "the server does not implement QueryWorkflow yet";
  StartWorkflow("QueryableCounter", "counter-1");
  EXPECT_EQ(QueryUntil("counter-1", "count", 0), 0);

  ASSERT_EQ(Cli({"workflow", "signal", "-w", "counter-1", "--name", "increment"}).exit_code, 0);
  ASSERT_EQ(Cli({"workflow", "signal", "-w", "counter-1", "--name", "increment", "--input", "5"})
                .exit_code,
            0);
  EXPECT_EQ(QueryUntil("counter-1", "count", 6), 6);
  EXPECT_EQ(QueryUntil("counter-1", "increments", 2), 2);

  RunResult unknown = Query("counter-1", "nope");
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_NE(unknown.err.find("unknown query type 'nope' (known: count, increments)"),
            std::string::npos)
      << unknown.err;

  ASSERT_EQ(Cli({"workflow", "signal", "-w", "counter-1", "--name", "done"}).exit_code, 0);
  EXPECT_EQ(ResultJson("counter-1"), 6);
  // A closed run is answered by replaying its whole history.
  RunResult closed = Query("counter-1", "count");
  EXPECT_EQ(closed.exit_code, 0) << closed.err;
  EXPECT_EQ(json::parse(closed.out, nullptr, false), 6);
}

TEST_F(WorkflowModelE2eTest, QueryableCounterStopsAfterNIncrements) {
  StartWorkflow("QueryableCounter", "counter-2", "2");
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(Cli({"workflow", "signal", "-w", "counter-2", "--name", "increment"}).exit_code, 0);
  }
  EXPECT_EQ(ResultJson("counter-2"), 2);
}

TEST_F(WorkflowModelE2eTest, ContinueAsNewCounterChainsRunsToTheFinalCount) {
  const std::string first_run = StartChain("chain-1", R"({"count":0,"until":5})");
  ASSERT_FALSE(first_run.empty());
  ASSERT_TRUE(WaitForStatus("chain-1", "WORKFLOW_EXECUTION_STATUS_COMPLETED"));

  // `workflow result` with the first run id follows the chain to the last run.
  RunResult r = Cli({"workflow", "result", "-w", "chain-1", "-r", first_run, "--timeout", "30s"},
                    absl::Seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), 5);

  // The first run closed with ContinuedAsNew, naming the next run.
  json first = HistoryJson("chain-1", first_run);
  auto continued = Events(first, "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW");
  ASSERT_EQ(continued.size(), 1u) << first.dump();
  std::string next_run = continued[0]["workflow_execution_continued_as_new_event_attributes"].value(
      "new_execution_run_id", "");
  EXPECT_FALSE(next_run.empty());
  EXPECT_NE(next_run, first_run);
  EXPECT_EQ(Events(first, "EVENT_TYPE_TIMER_FIRED").size(), 1u);

  // The current (last) run started from its predecessor with count 5 and completed.
  json last = HistoryJson("chain-1");
  ASSERT_FALSE(last.empty());
  EXPECT_EQ(Events(last, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED").size(), 1u) << last.dump();
  EXPECT_FALSE(last[0]["workflow_execution_started_event_attributes"]
                   .value("continued_execution_run_id", "")
                   .empty())
      << last[0].dump();
  RunResult count = Query("chain-1", "count");
  EXPECT_EQ(count.exit_code, 0) << count.err;
  EXPECT_EQ(json::parse(count.out, nullptr, false), 5);

  // No input: the default chain, 0 to 5.
  StartWorkflow("ContinueAsNewCounter", "chain-2");
  ASSERT_TRUE(WaitForStatus("chain-2", "WORKFLOW_EXECUTION_STATUS_COMPLETED"));
  EXPECT_EQ(ResultJson("chain-2"), 5);
}

// `weft workflow result` on the first run of a chain waits across every continue-as-new.
TEST_F(WorkflowModelE2eTest, ResultWaitsAcrossContinueAsNewWhileRunning) {
  const std::string first_run = StartChain("chain-live", R"({"count":0,"until":3})");
  ASSERT_FALSE(first_run.empty());
  RunResult r = Cli({"workflow", "result", "-w", "chain-live", "-r", first_run, "--timeout", "60s"},
                    absl::Seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), 3);
}

TEST_F(WorkflowModelE2eTest, ContinueAsNewChainSurvivesServerSigkill) {
  const std::string first_run = StartChain("chain-kill", R"({"count":0,"until":15})");
  ASSERT_FALSE(first_run.empty());
  // Kill the server once the chain is under way (a few runs continued).
  bool under_way = false;
  for (int i = 0; i < 300 && !under_way; ++i) {
    RunResult d = Cli({"--output", "json", "workflow", "describe", "--workflow-id", "chain-kill"});
    json j = json::parse(d.out, nullptr, false);
    under_way =
        j.is_object() && !j["workflow_execution_info"].value("continued_from_run_id", "").empty();
    if (!under_way) absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(under_way);
  server_->Signal(SIGKILL);
  EXPECT_EQ(server_->Wait(), 128 + SIGKILL);
  StartServer();

  RunResult r = Cli({"workflow", "result", "-w", "chain-kill", "-r", first_run, "--timeout", "60s"},
                    absl::Seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), 15);
  // Each count ran in exactly one run: 15 continued runs and one that completed.
  RunResult list = Cli({"--output", "json", "workflow", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  int continued = 0, completed = 0;
  for (const auto& e : json::parse(list.out).value("executions", json::array())) {
    if (e["execution"].value("workflow_id", "") != "chain-kill") continue;
    const std::string status = e.value("status", "");
    continued += status == "WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW";
    completed += status == "WORKFLOW_EXECUTION_STATUS_COMPLETED";
  }
  EXPECT_EQ(continued, 15);
  EXPECT_EQ(completed, 1);
}

TEST_F(WorkflowModelE2eTest, VersionedRecordsTheVersionMarkerAndTakesTheNewPath) {
  StartWorkflow("Versioned", "versioned-1");
  json result = ResultJson("versioned-1");
  EXPECT_EQ(result.value("version", 0), 1) << result.dump();
  EXPECT_EQ(result["steps"], json({"validated order-1", "processed order-1"})) << result.dump();
  json events = HistoryJson("versioned-1");
  auto markers = Events(events, "EVENT_TYPE_MARKER_RECORDED");
  ASSERT_EQ(markers.size(), 1u) << events.dump();
  EXPECT_EQ(markers[0]["marker_recorded_event_attributes"].value("marker_name", ""), "Version");
}

TEST_F(WorkflowModelE2eTest, HeartbeatingActivityResumesFromTheLastHeartbeat) {
  StartWorkflow("HeartbeatingActivity", "heartbeat-1", R"({"steps":5})");
  json result = ResultJson("heartbeat-1");
  EXPECT_EQ(result.value("steps_done", 0), 5) << result.dump();
  EXPECT_EQ(result.value("attempt", 0), 2) << result.dump();
  // Attempt 1 failed after step 3; its last (throttled) heartbeat was flushed before the
  // failure, so attempt 2 resumed after step 3.
  EXPECT_EQ(result.value("resumed_from", 0), 3) << result.dump();
}

TEST_F(WorkflowModelE2eTest, CancellableSagaBooksOrCompensatesAFailure) {
  StartWorkflow("CancellableSaga", "saga-ok");
  json ok = ResultJson("saga-ok");
  EXPECT_EQ(ok.value("status", ""), "booked") << ok.dump();
  EXPECT_EQ(ok["log"], json({"booked flight", "booked hotel", "booked car"}));

  StartWorkflow("CancellableSaga", "saga-fail", R"({"fail_at":2})");
  json failed = ResultJson("saga-fail");
  EXPECT_EQ(failed.value("status", ""), "compensated") << failed.dump();
  EXPECT_EQ(failed["log"],
            json({"booked flight", "failed hotel: no hotel available", "canceled flight"}))
      << failed.dump();

  StartWorkflow("CancellableSaga", "saga-fail-3", R"({"fail_at":3})");
  json failed3 = ResultJson("saga-fail-3");
  EXPECT_EQ(failed3["log"], json({"booked flight", "booked hotel", "failed car: no car available",
                                  "canceled hotel", "canceled flight"}))
      << failed3.dump();
}

TEST_F(WorkflowModelE2eTest, CancellableSagaCompensatesAfterCancelAndClosesCanceled) {
  StartWorkflow("CancellableSaga", "saga-cancel", R"({"step_ms":1500})");
  // Wait until the flight is booked (its activity completed), then cancel during the pause
  // before the hotel.
  bool booked = false;
  for (int i = 0; i < 300 && !booked; ++i) {
    booked = !Events(HistoryJson("saga-cancel"), "EVENT_TYPE_ACTIVITY_TASK_COMPLETED").empty();
    if (!booked) absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(booked);
  RunResult c = Cli({"workflow", "cancel", "-w", "saga-cancel", "--reason", "trip called off"});
  ASSERT_EQ(c.exit_code, 0) << c.err;

  RunResult r = Result("saga-cancel");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("was canceled"), std::string::npos) << r.err;
  // The saga's log travels as the cancellation's details.
  EXPECT_NE(r.err.find("canceled flight"), std::string::npos) << r.err;

  // The compensation ran after the cancel request, and the pending timer was canceled.
  json events = HistoryJson("saga-cancel");
  int64_t cancel_requested_at = 0;
  std::vector<std::string> activities;
  for (const auto& e : events) {
    const std::string type = e.value("event_type", "");
    if (type == "EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED") {
      cancel_requested_at = EventId(e);
    }
    if (type == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED") {
      activities.push_back(
          e["activity_task_scheduled_event_attributes"]["activity_type"].value("name", ""));
      if (activities.back() == "CancelStep") {
        EXPECT_GT(EventId(e), cancel_requested_at) << events.dump();
      }
    }
  }
  EXPECT_GT(cancel_requested_at, 0) << events.dump();
  EXPECT_EQ(activities, std::vector<std::string>({"BookStep", "CancelStep"})) << events.dump();
  EXPECT_EQ(Events(events, "EVENT_TYPE_TIMER_CANCELED").size(), 1u) << events.dump();
  EXPECT_EQ(Events(events, "EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED").size(), 1u);

  if (QueriesUnimplemented()) GTEST_SKIP() << "the server does not implement QueryWorkflow yet";
  RunResult log = Query("saga-cancel", "log");
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_EQ(json::parse(log.out, nullptr, false),
            json({"booked flight", "cancel requested before hotel", "canceled flight"}))
      << log.out;
}

TEST_F(WorkflowModelE2eTest, WorkflowCancelReachesARunningActivityThroughItsHeartbeat) {
  // SlowGreeting's activity heartbeats for 30 s unless it learns it was canceled.
  StartWorkflow("SlowGreeting", "slow-cancel", R"({"name":"Ada","seconds":30})");
  bool started = false;
  for (int i = 0; i < 300 && !started; ++i) {
    RunResult d = Cli({"--output", "json", "workflow", "describe", "--workflow-id", "slow-cancel"});
    json j = json::parse(d.out, nullptr, false);
    if (j.is_object() && j.contains("pending_activities")) {
      for (const auto& a : j["pending_activities"]) started |= a.value("state", "") == "STARTED";
    }
    if (!started) absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(started);
  const absl::Time canceled_at = absl::Now();
  ASSERT_EQ(Cli({"workflow", "cancel", "-w", "slow-cancel"}).exit_code, 0);

  RunResult r = Result("slow-cancel");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("was canceled"), std::string::npos) << r.err;
  EXPECT_LT(absl::Now() - canceled_at, absl::Seconds(15));  // not after the 30 s of work

  json events = HistoryJson("slow-cancel");
  EXPECT_EQ(Events(events, "EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED").size(), 1u)
      << events.dump();
  EXPECT_EQ(Events(events, "EVENT_TYPE_ACTIVITY_TASK_CANCELED").size(), 1u) << events.dump();
  EXPECT_EQ(Events(events, "EVENT_TYPE_ACTIVITY_TASK_COMPLETED").size(), 0u);
}


TEST_F(WorkflowModelE2eTest, ResetRerunsAClosedWorkflowFromItsFirstWorkflowTask) {
  StartWorkflow("Greeting", "reset-e2e", "\"Reset\"");
  EXPECT_EQ(ResultJson("reset-e2e"), json("Hello, Reset!"));
  json before = HistoryJson("reset-e2e");
  ASSERT_FALSE(before.empty());

  RunResult r = Cli({"--output", "json", "workflow", "reset", "--workflow-id", "reset-e2e",
                     "--type", "first", "--reason", "rerun after a fix"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json reset = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(reset.is_object()) << r.out;
  const std::string new_run = reset.value("run_id", "");
  ASSERT_FALSE(new_run.empty());

  // The worker replays the copied prefix and runs the workflow on to the same result.
  EXPECT_EQ(ResultJson("reset-e2e"), json("Hello, Reset!"));
  json after = HistoryJson("reset-e2e", new_run);
  std::vector<json> failed = Events(after, "EVENT_TYPE_WORKFLOW_TASK_FAILED");
  ASSERT_EQ(failed.size(), 1u) << after.dump();
  EXPECT_EQ(failed[0]["workflow_task_failed_event_attributes"].value("cause", ""),
            "WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW");
  EXPECT_EQ(Events(after, "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED").size(), 1u);

  // A bad reset point is refused with a message that says what to pick.
  r = Cli({"workflow", "reset", "--workflow-id", "reset-e2e", "--event-id", "1", "--reason",
           "x"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("WorkflowTaskCompleted"), std::string::npos) << r.err;
}

TEST_F(WorkflowModelE2eTest, RetentionDeletesAClosedRunOfAShortLivedNamespace) {
  RunResult r = Cli({"namespace", "create", "ephemeral", "--retention", "1s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Cli({"--namespace", "ephemeral", "workflow", "start", "--task-queue", "nobody-polls",
           "--type", "Greeting", "--workflow-id", "short-lived"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Cli({"--namespace", "ephemeral", "workflow", "terminate", "--workflow-id", "short-lived",
           "--reason", "test"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Deleted one second after it closed: poll with a deadline.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  do {
    r = Cli({"--namespace", "ephemeral", "workflow", "describe", "--workflow-id", "short-lived"});
    if (r.exit_code != 0) break;
    absl::SleepFor(absl::Milliseconds(200));
  } while (absl::Now() < deadline);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("NOT_FOUND"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace weft::testing
