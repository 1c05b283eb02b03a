// End-to-end tests of `weft workflow trace`: weft-server, weft-samples-worker and the weft CLI
// as separate processes on loopback with real RocksDB. Sample runs (an activity and a timer,
// retries, a long activity, a sleeping run) are traced as text and JSON, and the timelines
// are checked for order, outcomes and durations that add up.
#include <gtest/gtest.h>

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

using Json = nlohmann::json;

class WorkflowTraceE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = absl::StrCat("127.0.0.1:", PickFreePort());
    server_ = std::make_unique<Process>(
        std::vector<std::string>{WEFT_SERVER_BIN, "--dev", "--data-dir", dir_.path(),
                                 "--grpc-address", address_, "--http-address", "127.0.0.1:0"});
    ASSERT_TRUE(server_->WaitForLine("weft-server ready", absl::Seconds(60))) << server_->Output();
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

  // Starts `type` and waits (bounded) for its result.
  void RunToCompletion(const std::string& type, const std::string& id, const std::string& input) {
    RunResult s = Cli({"workflow", "start", "--task-queue", "samples", "--type", type,
                       "--workflow-id", id, "--input", input});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    RunResult r =
        Cli({"workflow", "result", "--workflow-id", id, "--timeout", "60s"}, absl::Seconds(90));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  Json TraceJson(const std::string& id) {
    RunResult r = Cli({"workflow", "trace", "--workflow-id", id, "--output", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Json j = Json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(j.is_object()) << r.out;
    return j.is_object() ? j : Json::object();
  }

  // The invariants every timeline keeps: offsets never decrease, each step ends within the
  // run, phases add up to the step's duration, and the close step (if any) is last.
  static void ExpectConsistent(const Json& trace) {
    ASSERT_TRUE(trace.contains("steps")) << trace.dump();
    const Json& steps = trace["steps"];
    const int64_t total = trace["duration_ms"].get<int64_t>();
    int64_t previous = 0;
    for (size_t i = 0; i < steps.size(); ++i) {
      const Json& s = steps[i];
      const int64_t offset = s["start_offset_ms"].get<int64_t>();
      const int64_t duration = s["duration_ms"].get<int64_t>();
      EXPECT_GE(offset, previous) << "step " << i << " of " << trace.dump();
      EXPECT_GE(duration, 0) << s.dump();
      EXPECT_LE(offset + duration, total) << s.dump();
      previous = offset;
      if (s.contains("phases")) {
        int64_t sum = 0;
        for (const auto& [name, ms] : s["phases"].items()) {
          EXPECT_GE(ms.get<int64_t>(), 0) << name << " in " << s.dump();
          sum += ms.get<int64_t>();
        }
        EXPECT_EQ(sum, duration) << s.dump();
      }
      if (s["kind"] == "close") EXPECT_EQ(i, steps.size() - 1) << trace.dump();
    }
  }

  // The steps of `kind` (and `name`, if given).
  static std::vector<Json> Steps(const Json& trace, const std::string& kind,
                                 const std::string& name = "") {
    std::vector<Json> out;
    for (const Json& s : trace.value("steps", Json::array())) {
      if (s["kind"] == kind && (name.empty() || s["name"] == name)) out.push_back(s);
    }
    return out;
  }

  TempDir dir_;
  std::string address_;
  std::unique_ptr<Process> server_;
  std::unique_ptr<Process> worker_;
};

TEST_F(WorkflowTraceE2eTest, GreetingTimelineHasTheActivityTheTimerAndTheClose) {
  RunToCompletion("Greeting", "trace-greet", "\"Ada\"");
  const Json t = TraceJson("trace-greet");
  ExpectConsistent(t);
  EXPECT_EQ(t["workflow_id"], "trace-greet");
  EXPECT_EQ(t["workflow_type"], "Greeting");
  EXPECT_EQ(t["status"], "WORKFLOW_EXECUTION_STATUS_COMPLETED");
  EXPECT_EQ(t["task_queue"], "samples");
  EXPECT_FALSE(t["close_time"].is_null());
  EXPECT_GE(t["duration_ms"].get<int64_t>(), 1000);  // the one-second sleep
  EXPECT_TRUE(t["trace_id"].is_null() || t["trace_id"].get<std::string>().size() == 32)
      << t["trace_id"];

  // activity, then timer, then close; workflow tasks between them.
  std::vector<std::string> kinds;
  for (const Json& s : t["steps"]) {
    if (s["kind"] != "workflow_task") kinds.push_back(s["kind"]);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"activity", "timer", "close"})) << t.dump();
  auto activities = Steps(t, "activity", "ComposeGreeting");
  ASSERT_EQ(activities.size(), 1u) << t.dump();
  const Json& a = activities[0];
  EXPECT_EQ(a["outcome"], "completed");
  EXPECT_EQ(a["attempt"], 1);
  EXPECT_FALSE(a.value("identity", "").empty());
  ASSERT_TRUE(a.contains("phases"));
  EXPECT_TRUE(a["phases"].contains("schedule_to_start_ms"));
  EXPECT_TRUE(a["phases"].contains("execution_ms"));
  EXPECT_EQ(a["event_ids"].size(), 3u);  // scheduled, started, completed
  auto timers = Steps(t, "timer");
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers[0]["outcome"], "fired");
  EXPECT_EQ(timers[0]["requested_ms"], 1000);
  EXPECT_GE(timers[0]["duration_ms"].get<int64_t>(), 1000);
  EXPECT_GE(timers[0]["start_offset_ms"].get<int64_t>(),
            a["start_offset_ms"].get<int64_t>() + a["duration_ms"].get<int64_t>());
  auto tasks = Steps(t, "workflow_task");
  EXPECT_EQ(tasks.size(), 3u);
  for (const Json& wt : tasks) EXPECT_EQ(wt["outcome"], "completed") << wt.dump();
  const Json& close = t["steps"].back();
  EXPECT_EQ(close["kind"], "close");
  EXPECT_EQ(close["outcome"], "completed");
  EXPECT_EQ(close["start_offset_ms"], t["duration_ms"]);
  EXPECT_EQ(t["pending"], Json::array());
  EXPECT_EQ(t["totals"]["activities"], 1);
  EXPECT_EQ(t["totals"]["timers"], 1);
  EXPECT_EQ(t["totals"]["timer_ms"], timers[0]["duration_ms"]);

  RunResult text = Cli({"workflow", "trace", "--workflow-id", "trace-greet"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  for (const char* want :
       {"Workflow ID:  trace-greet\n", "Status:       Completed\n", "activity ComposeGreeting (id ",
        "timer ", "requested 1.000s", "close", "Totals", "On timers:"}) {
    EXPECT_NE(text.out.find(want), std::string::npos) << want << " in\n" << text.out;
  }
  // Text lists the steps in the JSON's order: the activity line before the timer line.
  EXPECT_LT(text.out.find("activity ComposeGreeting"), text.out.find("timer "));
}

TEST_F(WorkflowTraceE2eTest, RetriesAndExecutionTimeShowInTheActivityStep) {
  RunToCompletion("Flaky", "trace-flaky", "2");
  const Json flaky = TraceJson("trace-flaky");
  ExpectConsistent(flaky);
  auto attempts = Steps(flaky, "activity", "FlakyActivity");
  ASSERT_EQ(attempts.size(), 1u) << flaky.dump();
  const Json& f = attempts[0];
  EXPECT_EQ(f["outcome"], "completed");
  EXPECT_EQ(f["attempt"], 3);
  EXPECT_NE(f.value("last_failure", "").find("attempt 2 of 3 fails on purpose"), std::string::npos)
      << f.dump();
  // Two backoffs (200 ms, 400 ms) lie between scheduling and the start of attempt 3.
  EXPECT_GE(f["phases"]["schedule_to_start_ms"].get<int64_t>(), 600) << f.dump();
  EXPECT_EQ(flaky["totals"]["retry_wait_ms"], f["phases"]["schedule_to_start_ms"]);
  RunResult text = Cli({"workflow", "trace", "--workflow-id", "trace-flaky"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("last failure (attempt 2): \"attempt 2 of 3 fails on purpose\""),
            std::string::npos)
      << text.out;

  // A one-second activity: its execution phase holds that second (the started event is
  // dated when the attempt started, not when it closed).
  RunToCompletion("SlowGreeting", "trace-slow", R"({"name":"Ada","seconds":1})");
  const Json slow = TraceJson("trace-slow");
  ExpectConsistent(slow);
  auto slow_steps = Steps(slow, "activity", "SlowCompose");
  ASSERT_EQ(slow_steps.size(), 1u) << slow.dump();
  EXPECT_GE(slow_steps[0]["phases"]["execution_ms"].get<int64_t>(), 1000) << slow.dump();
  EXPECT_LT(slow_steps[0]["phases"]["schedule_to_start_ms"].get<int64_t>(), 1000) << slow.dump();
  EXPECT_GE(slow["totals"]["activity_execution_ms"].get<int64_t>(), 1000);
}

TEST_F(WorkflowTraceE2eTest, RunningRunListsItsOpenTimerUntilTerminated) {
  RunResult s = Cli({"workflow", "start", "--task-queue", "samples", "--type", "Sleep",
                     "--workflow-id", "trace-nap", "--input", "60"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  // Wait (bounded) until the first workflow task started the timer.
  Json t;
  bool has_timer = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!has_timer && absl::Now() < deadline) {
    t = TraceJson("trace-nap");
    for (const Json& p : t.value("pending", Json::array())) has_timer |= p["kind"] == "timer";
  }
  ASSERT_TRUE(has_timer) << t.dump();
  ExpectConsistent(t);
  EXPECT_EQ(t["status"], "WORKFLOW_EXECUTION_STATUS_RUNNING");
  EXPECT_TRUE(t["close_time"].is_null());
  for (const Json& p : t["pending"]) {
    if (p["kind"] != "timer") continue;
    EXPECT_GT(p["due_in_ms"].get<int64_t>(), 0) << p.dump();
    EXPECT_LE(p["due_in_ms"].get<int64_t>(), 60'000) << p.dump();
    EXPECT_EQ(p["state"], "waiting");
  }
  auto timers = Steps(t, "timer");
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers[0]["outcome"], "pending");
  EXPECT_EQ(timers[0]["requested_ms"], 60'000);
  RunResult text = Cli({"workflow", "trace", "--workflow-id", "trace-nap"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Pending:\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("so far"), std::string::npos) << text.out;

  RunResult sig =
      Cli({"workflow", "signal", "--workflow-id", "trace-nap", "--name", "poke", "--input", "1"});
  ASSERT_EQ(sig.exit_code, 0) << sig.err;
  RunResult term =
      Cli({"workflow", "terminate", "--workflow-id", "trace-nap", "--reason", "enough"});
  ASSERT_EQ(term.exit_code, 0) << term.err;
  const Json done = TraceJson("trace-nap");
  ExpectConsistent(done);
  EXPECT_EQ(done["status"], "WORKFLOW_EXECUTION_STATUS_TERMINATED");
  auto signals = Steps(done, "signal", "poke");
  EXPECT_EQ(signals.size(), 1u) << done.dump();
  const Json& close = done["steps"].back();
  EXPECT_EQ(close["kind"], "close");
  EXPECT_EQ(close["outcome"], "terminated");
  EXPECT_EQ(close["detail"], "reason enough");
  auto closed_timers = Steps(done, "timer");
  ASSERT_EQ(closed_timers.size(), 1u);
  EXPECT_EQ(closed_timers[0]["outcome"], "unfinished");
  EXPECT_EQ(done["pending"], Json::array());
}

TEST_F(WorkflowTraceE2eTest, UnknownWorkflowIsNotFound) {
  RunResult r = Cli({"workflow", "trace", "--workflow-id", "no-such-run"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("NOT_FOUND"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace weft::testing
