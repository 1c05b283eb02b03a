// Worker metrics through the SDK against a real server in-process (real RocksDB, real gRPC on
// a port the OS picked), scraped over loopback HTTP as Prometheus would: a workflow whose
// code changed under a running run is counted as a non-determinism error; Workers of one
// process share one endpoint; a second address is refused.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "server/app/weft_server.h"
#include "tests/support/in_process_server.h"
#include "tests/support/temp_dir.h"
#include "weft/client.h"
#include "weft/worker.h"
#include "weft/workflow.h"

namespace {

using namespace std::chrono_literals;

std::string Echo(std::string s) { return s; }

// Version 1: an activity, then waits for a signal.
weft::Workflow<std::string> DriftV1(weft::WorkflowContext& ctx) {
  auto echoed =
      co_await ctx.ExecuteActivity<std::string>("Echo", {.start_to_close = 10s}, std::string("x"));
  auto go = co_await ctx.GetSignalChannel("go").Receive<std::string>();
  co_return echoed + go;
}

// Version 2, deployed while a run of version 1 waits: a timer where the history has the
// activity. Replaying the run's history no longer matches.
weft::Workflow<std::string> DriftV2(weft::WorkflowContext& ctx) {
  co_await ctx.Sleep(1s);
  auto go = co_await ctx.GetSignalChannel("go").Receive<std::string>();
  co_return go;
}

// Sample lines of a scrape that carry all of `labels`, summed.
double Sum(const std::string& text, const std::string& name,
           const std::vector<std::string>& labels) {
  double sum = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    if (!absl::StartsWith(line, name + "{") && !absl::StartsWith(line, name + " ")) continue;
    bool match = true;
    for (const std::string& l : labels) match = match && line.find(l) != absl::string_view::npos;
    double v = 0;
    size_t space = line.rfind(' ');
    if (match && absl::SimpleAtod(line.substr(space + 1), &v)) sum += v;
  }
  return sum;
}

class WorkerMetricsTest : public weft::testing::InProcessServerTest {
 protected:
  weft::Worker& AddWorker(weft::WorkerOptions options) {
    workers_.push_back(std::make_unique<weft::Worker>(*client_, std::move(options)));
    return *workers_.back();
  }

  static std::string Scrape(int port) {
    httplib::Client http("127.0.0.1", port);
    http.set_read_timeout(5);
    auto res = http.Get("/metrics");
    EXPECT_TRUE(res) << "nothing answers on port " << port;
    if (!res) return "";
    EXPECT_EQ(res->status, 200);
    return res->body;
  }

  // Scrapes until `name` summed over `labels` reaches `want` (or the deadline passes);
  // returns the last value seen.
  static double WaitFor(int port, const std::string& name, const std::vector<std::string>& labels,
                        double want) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    double got = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      got = Sum(Scrape(port), name, labels);
      if (got >= want) return got;
      std::this_thread::sleep_for(20ms);  // polling interval of a condition with a deadline
    }
    return got;
  }
};

TEST_F(WorkerMetricsTest, ChangedWorkflowCodeIsCountedAsNonDeterminism) {
  // No sticky cache: the second worker must replay the whole history.
  weft::Worker& v1 = AddWorker(
      {.task_queue = "drift", .max_cached_workflows = 0, .metrics_address = "127.0.0.1:0"});
  v1.RegisterWorkflow("Drift", DriftV1);
  v1.RegisterActivity("Echo", Echo);
  ASSERT_TRUE(v1.Start().ok());
  const int port = v1.metrics_port();
  ASSERT_GT(port, 0);

  auto run = client_->StartWorkflow("Drift", {.id = "drift-1", .task_queue = "drift"});
  ASSERT_TRUE(run.ok()) << run.status();
  // Two tasks: the one that scheduled the activity, the one after it that waits for "go".
  const std::vector<std::string> completed = {"workflow_type=\"Drift\"", "outcome=\"completed\"",
                                              "task_queue=\"drift\""};
  ASSERT_EQ(WaitFor(port, "weft_worker_workflow_tasks_total", completed, 2), 2);
  EXPECT_EQ(Sum(Scrape(port), "weft_worker_activities_total",
                {"activity_type=\"Echo\"", "outcome=\"completed\""}),
            1);
  v1.Shutdown();

  // The new code, in the same process: the endpoint is shared (v1 still holds it).
  weft::Worker& v2 = AddWorker(
      {.task_queue = "drift", .max_cached_workflows = 0, .metrics_address = "127.0.0.1:0"});
  v2.RegisterWorkflow("Drift", DriftV2);
  ASSERT_TRUE(v2.Start().ok());
  EXPECT_EQ(v2.metrics_port(), port);
  ASSERT_TRUE(client_->Signal("drift-1", "", "go", std::string("!")).ok());

  const std::vector<std::string> drift = {"workflow_type=\"Drift\"", "task_queue=\"drift\""};
  EXPECT_GE(WaitFor(port, "weft_worker_nondeterminism_errors_total", drift, 1), 1);
  std::string text = Scrape(port);
  EXPECT_GE(Sum(text, "weft_worker_workflow_tasks_total",
                {"workflow_type=\"Drift\"", "outcome=\"failed\""}),
            1);
  // Version 1's answers are still there: counters are per process, not per worker.
  EXPECT_EQ(Sum(text, "weft_worker_workflow_tasks_total", completed), 2);
  // v1's slots left with its shutdown: only v2's (2 workflow pollers, no activities).
  EXPECT_EQ(Sum(text, "weft_worker_task_slots",
                {"kind=\"workflow\"", "state=\"available\"", "task_queue=\"drift\""}) +
                Sum(text, "weft_worker_task_slots",
                    {"kind=\"workflow\"", "state=\"used\"", "task_queue=\"drift\""}),
            2);
}

TEST_F(WorkerMetricsTest, OneEndpointPerProcessAndOffByDefault) {
  weft::Worker& plain = AddWorker({.task_queue = "plain"});
  plain.RegisterActivity("Echo", Echo);
  ASSERT_TRUE(plain.Start().ok());
  EXPECT_EQ(plain.metrics_port(), 0);

  weft::Worker& a = AddWorker({.task_queue = "a", .metrics_address = "127.0.0.1:0"});
  a.RegisterActivity("Echo", Echo);
  ASSERT_TRUE(a.Start().ok());
  ASSERT_GT(a.metrics_port(), 0);

  weft::Worker& b = AddWorker({.task_queue = "b", .metrics_address = "127.0.0.1:1"});
  b.RegisterActivity("Echo", Echo);
  absl::Status s = b.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("same metrics_address"), absl::string_view::npos) << s;
  EXPECT_EQ(b.metrics_port(), 0);

  weft::Worker& bad = AddWorker({.task_queue = "c", .metrics_address = "no-port"});
  bad.RegisterActivity("Echo", Echo);
  s = bad.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  // Worker a's series are served; the refused workers' are not.
  std::string text = Scrape(a.metrics_port());
  EXPECT_GT(Sum(text, "weft_worker_task_slots", {"task_queue=\"a\"", "state=\"available\""}), 0);
  EXPECT_EQ(text.find("task_queue=\"b\""), std::string::npos);
  EXPECT_EQ(text.find("task_queue=\"plain\""), std::string::npos);
}

}  // namespace
