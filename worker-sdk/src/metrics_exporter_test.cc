// MetricsExporter and WorkerMetrics: the worker's /metrics endpoint over real loopback HTTP,
// its process-wide sharing rules, and the series a worker reports.
#include "metrics_exporter.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "worker_metrics.h"

namespace weft {
namespace {

// GET http://127.0.0.1:port/path; nullopt when nothing answers.
std::optional<std::pair<int, std::string>> Get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  httplib::Result res = client.Get(path.c_str());
  if (!res) return std::nullopt;
  return std::make_pair(res->status, res->body);
}

// Sample lines of a Prometheus text scrape: {"name{labels}": value}.
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    size_t space = line.rfind(' ');
    double value = 0;
    if (space == absl::string_view::npos || !absl::SimpleAtod(line.substr(space + 1), &value)) {
      ADD_FAILURE() << "unparsable sample line: " << line;
      continue;
    }
    out[std::string(line.substr(0, space))] = value;
  }
  return out;
}

// The value of one series, or -1 when it is not in the scrape at all.
double Value(const std::map<std::string, double>& samples, const std::string& series) {
  auto it = samples.find(series);
  return it == samples.end() ? -1 : it->second;
}

TEST(MetricsExporterTest, ServesTheRegistryOverHttpOnAnOsChosenPort) {
  auto exporter = MetricsExporter::Acquire("127.0.0.1:0");
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  const int port = (*exporter)->port();
  ASSERT_GT(port, 0);
  EXPECT_EQ((*exporter)->bound_address(), absl::StrCat("127.0.0.1:", port));
  WorkerMetrics metrics(*(*exporter)->registry(), "default", "orders", {"Order"}, {"Charge"}, 2, 3);
  metrics.RecordActivity("Charge", WorkerMetrics::ActivityOutcome::kCompleted, 0.02);

  auto scrape = Get(port, "/metrics");
  ASSERT_TRUE(scrape.has_value()) << "nothing answers on port " << port;
  EXPECT_EQ(scrape->first, 200);
  auto samples = Samples(scrape->second);
  EXPECT_EQ(Value(samples,
                  "weft_worker_activities_total{activity_type=\"Charge\",namespace=\"default\","
                  "outcome=\"completed\",task_queue=\"orders\"}"),
            1);
  EXPECT_NE(scrape->second.find("# TYPE weft_worker_activity_execution_seconds histogram"),
            std::string::npos);
  auto health = Get(port, "/healthz");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->first, 200);
  auto missing = Get(port, "/nothing");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->first, 404);
}

TEST(MetricsExporterTest, WorkersOfOneProcessShareTheEndpointAndItStopsWithTheLast) {
  auto first = MetricsExporter::Acquire("127.0.0.1:0");
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = MetricsExporter::Acquire("127.0.0.1:0");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->get(), second->get());
  const int port = (*first)->port();

  // Another address while one runs: refused, naming the running one.
  auto other = MetricsExporter::Acquire("127.0.0.1:1");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("127.0.0.1:0"), absl::string_view::npos)
      << other.status();

  first->reset();
  EXPECT_TRUE(Get(port, "/healthz").has_value()) << "stopped while a holder remains";
  second->reset();
  EXPECT_FALSE(Get(port, "/healthz").has_value()) << "still serving after the last holder left";

  // The next one starts afresh, on whatever address it asks for.
  auto again = MetricsExporter::Acquire(absl::StrCat("127.0.0.1:", port));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->port(), port);
  EXPECT_TRUE(Get(port, "/healthz").has_value());
}

TEST(MetricsExporterTest, RejectsAddressesThatAreNotHostPort) {
  for (const char* bad : {"", "localhost", "127.0.0.1:", "127.0.0.1:http", ":9464",
                          "127.0.0.1:70000", "127.0.0.1:-1"}) {
    auto e = MetricsExporter::Acquire(bad);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(e.status().message().find("HOST:PORT"), absl::string_view::npos) << e.status();
  }
}

TEST(MetricsExporterTest, APortInUseIsUnavailableNotShared) {
  // A listening socket of someone else (SO_REUSEPORT must not let the exporter share it).
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  int yes = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof(yes));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);

  auto e = MetricsExporter::Acquire(absl::StrCat("127.0.0.1:", port));
  close(fd);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(e.status().message().find(absl::StrCat(port)), absl::string_view::npos) << e.status();
}

class WorkerMetricsTest : public ::testing::Test {
 protected:
  std::map<std::string, double> Scrape() {
    auto exporter = MetricsExporter::Acquire("127.0.0.1:0");
    EXPECT_TRUE(exporter.ok());
    return Samples((*exporter)->Serialize());
  }
  std::shared_ptr<MetricsExporter> exporter_ = *MetricsExporter::Acquire("127.0.0.1:0");
  prometheus::Registry& registry_ = *exporter_->registry();
};

TEST_F(WorkerMetricsTest, KnownSeriesStartAtZero) {
  WorkerMetrics m(registry_, "ns", "q", {"Order"}, {"Charge"}, 4, 8);
  auto s = Scrape();
  for (const char* outcome : {"completed", "failed", "canceled"}) {
    EXPECT_EQ(Value(s, absl::StrCat("weft_worker_activities_total{activity_type=\"Charge\","
                                    "namespace=\"ns\",outcome=\"",
                                    outcome, "\",task_queue=\"q\"}")),
              0)
        << outcome;
  }
  for (const char* outcome : {"completed", "failed"}) {
    EXPECT_EQ(Value(s, absl::StrCat("weft_worker_workflow_tasks_total{namespace=\"ns\",outcome=\"",
                                    outcome, "\",task_queue=\"q\",workflow_type=\"Order\"}")),
              0);
  }
  EXPECT_EQ(Value(s,
                  "weft_worker_nondeterminism_errors_total{namespace=\"ns\",task_queue=\"q\","
                  "workflow_type=\"Order\"}"),
            0);
  for (const char* kind : {"workflow", "activity"}) {
    for (const char* result : {"task", "empty", "error"}) {
      EXPECT_EQ(
          Value(s, absl::StrCat("weft_worker_polls_total{kind=\"", kind,
                                "\",namespace=\"ns\",result=\"", result, "\",task_queue=\"q\"}")),
          0);
    }
  }
  EXPECT_EQ(Value(s, "weft_worker_sticky_cache_hits_total{namespace=\"ns\",task_queue=\"q\"}"), 0);
  EXPECT_EQ(Value(s,
                  "weft_worker_rpc_errors_total{code=\"UNAVAILABLE\",method="
                  "\"RespondActivityTaskCompleted\",namespace=\"ns\",task_queue=\"q\"}"),
            0);
  EXPECT_EQ(Value(s,
                  "weft_worker_activity_schedule_to_start_seconds_count{activity_type="
                  "\"Charge\",namespace=\"ns\",task_queue=\"q\"}"),
            0);
}

TEST_F(WorkerMetricsTest, SlotsAddUpOverWorkersAndLeaveWithThem) {
  const std::string available =
      "weft_worker_task_slots{kind=\"activity\",namespace=\"ns\",state=\"available\","
      "task_queue=\"q\"}";
  const std::string used =
      "weft_worker_task_slots{kind=\"activity\",namespace=\"ns\",state=\"used\",task_queue=\"q\"}";
  WorkerMetrics a(registry_, "ns", "q", {}, {"Charge"}, 0, 8);
  {
    auto slot = a.TakeSlot(WorkerMetrics::Kind::kActivity);
    auto s = Scrape();
    EXPECT_EQ(Value(s, used), 1);
    EXPECT_EQ(Value(s, available), 7);
    {
      WorkerMetrics b(registry_, "ns", "q", {}, {"Charge"}, 0, 2);
      auto slot_b = b.TakeSlot(WorkerMetrics::Kind::kActivity);
      s = Scrape();
      EXPECT_EQ(Value(s, used), 2);
      EXPECT_EQ(Value(s, available), 8);  // 7 + 1
    }
    s = Scrape();
    EXPECT_EQ(Value(s, used), 1);
    EXPECT_EQ(Value(s, available), 7);
  }
  auto s = Scrape();
  EXPECT_EQ(Value(s, used), 0);
  EXPECT_EQ(Value(s, available), 8);
}

TEST_F(WorkerMetricsTest, RecordsTasksPollsCacheAndErrors) {
  const std::string cache_size = "weft_worker_sticky_cache_size{namespace=\"ns\",task_queue=\"q\"}";
  {
    WorkerMetrics m(registry_, "ns", "q", {"Order"}, {"Charge"}, 2, 2);
    m.RecordWorkflowTask("Order", true, 0.003);
    m.RecordWorkflowTask("Order", false, 0.004);
    m.RecordNondeterminismError("Order");
    m.RecordReplay("Order", 0.002);
    m.RecordPoll(WorkerMetrics::Kind::kWorkflow, WorkerMetrics::PollResult::kTask, 0.5);
    m.RecordPoll(WorkerMetrics::Kind::kWorkflow, WorkerMetrics::PollResult::kEmpty, 60);
    m.RecordPoll(WorkerMetrics::Kind::kWorkflow, WorkerMetrics::PollResult::kError, 0.1);
    m.RecordRpcError("PollWorkflowTaskQueue", grpc::StatusCode::UNAVAILABLE);
    m.RecordScheduleToStart("Charge", 1.5);
    m.RecordActivity("Charge", WorkerMetrics::ActivityOutcome::kCanceled, 2);
    m.RecordStickyCacheHit();
    m.RecordStickyCacheMiss();
    m.RecordStickyCacheEviction();
    m.SetStickyCacheSize(5);
    m.SetStickyCacheSize(3);
    auto s = Scrape();
    const std::string wf = "namespace=\"ns\",task_queue=\"q\",workflow_type=\"Order\"";
    EXPECT_EQ(Value(s,
                    "weft_worker_workflow_tasks_total{namespace=\"ns\",outcome=\"completed\","
                    "task_queue=\"q\",workflow_type=\"Order\"}"),
              1);
    EXPECT_EQ(Value(s,
                    "weft_worker_workflow_tasks_total{namespace=\"ns\",outcome=\"failed\","
                    "task_queue=\"q\",workflow_type=\"Order\"}"),
              1);
    EXPECT_EQ(Value(s, absl::StrCat("weft_worker_nondeterminism_errors_total{", wf, "}")), 1);
    EXPECT_EQ(Value(s, absl::StrCat("weft_worker_workflow_task_execution_seconds_count{", wf, "}")),
              2);
    EXPECT_DOUBLE_EQ(
        Value(s, absl::StrCat("weft_worker_workflow_task_execution_seconds_sum{", wf, "}")), 0.007);
    EXPECT_EQ(Value(s, absl::StrCat("weft_worker_workflow_task_replay_seconds_count{", wf, "}")),
              1);
    // Errors count as polls but not in the wait histogram.
    EXPECT_EQ(Value(s,
                    "weft_worker_polls_total{kind=\"workflow\",namespace=\"ns\","
                    "result=\"error\",task_queue=\"q\"}"),
              1);
    EXPECT_EQ(Value(s,
                    "weft_worker_poll_latency_seconds_count{kind=\"workflow\","
                    "namespace=\"ns\",task_queue=\"q\"}"),
              2);
    EXPECT_EQ(Value(s,
                    "weft_worker_poll_latency_seconds_bucket{kind=\"workflow\","
                    "namespace=\"ns\",task_queue=\"q\",le=\"1\"}"),
              1);
    EXPECT_EQ(Value(s,
                    "weft_worker_rpc_errors_total{code=\"UNAVAILABLE\","
                    "method=\"PollWorkflowTaskQueue\",namespace=\"ns\",task_queue=\"q\"}"),
              1);
    EXPECT_EQ(Value(s,
                    "weft_worker_activity_schedule_to_start_seconds_sum{activity_type="
                    "\"Charge\",namespace=\"ns\",task_queue=\"q\"}"),
              1.5);
    EXPECT_EQ(Value(s,
                    "weft_worker_activities_total{activity_type=\"Charge\",namespace=\"ns\","
                    "outcome=\"canceled\",task_queue=\"q\"}"),
              1);
    EXPECT_EQ(Value(s, "weft_worker_sticky_cache_misses_total{namespace=\"ns\",task_queue=\"q\"}"),
              1);
    EXPECT_EQ(
        Value(s, "weft_worker_sticky_cache_evictions_total{namespace=\"ns\",task_queue=\"q\"}"), 1);
    EXPECT_EQ(Value(s, cache_size), 3);
  }
  // A worker's cached runs leave the gauge with it.
  EXPECT_EQ(Value(Scrape(), cache_size), 0);
}

TEST_F(WorkerMetricsTest, ReportsTheWorkersCircuitBreakers) {
  WorkerMetrics m(registry_, "ns", "q", {}, {"Charge"}, 0, 1);
  auto now = std::chrono::steady_clock::now();
  CircuitBreakerRegistry breakers({.window_size = 4,
                                   .minimum_calls = 2,
                                   .failure_rate_threshold = 0.5,
                                   .open_duration = std::chrono::seconds(30),
                                   .half_open_probes = 1},
                                  [&] { return now; });
  breakers.SetObserver(m.BreakerObserver());
  CircuitBreaker& b = breakers.Get("payments");
  const std::string labels = "breaker=\"payments\",namespace=\"ns\",task_queue=\"q\"";
  auto s = Scrape();
  EXPECT_EQ(Value(s, "weft_worker_circuit_breaker_state{" + labels + "}"), 0);
  EXPECT_EQ(Value(s, "weft_worker_circuit_breaker_rejected_calls_total{" + labels + "}"), 0);
  EXPECT_EQ(Value(s, "weft_worker_circuit_breaker_transitions_total{" + labels + ",to=\"open\"}"),
            0);

  ASSERT_TRUE(b.Allow().ok());
  b.RecordFailure();
  ASSERT_TRUE(b.Allow().ok());
  b.RecordFailure();  // 2 of 2 failed: opens
  EXPECT_FALSE(b.Allow().ok());
  s = Scrape();
  EXPECT_EQ(Value(s, "weft_worker_circuit_breaker_state{" + labels + "}"), 1);
  EXPECT_EQ(Value(s, "weft_worker_circuit_breaker_transitions_total{" + labels + ",to=\"open\"}"),
            1);
  EXPECT_EQ(Value(s, "weft_worker_circuit_breaker_rejected_calls_total{" + labels + "}"), 1);

  now += std::chrono::seconds(31);
  ASSERT_TRUE(b.Allow().ok());  // the probe
  EXPECT_EQ(Value(Scrape(), "weft_worker_circuit_breaker_state{" + labels + "}"), 2);
  b.RecordSuccess();
  s = Scrape();
  EXPECT_EQ(Value(s, "weft_worker_circuit_breaker_state{" + labels + "}"), 0);
  EXPECT_EQ(Value(s, "weft_worker_circuit_breaker_transitions_total{" + labels + ",to=\"closed\"}"),
            1);
  EXPECT_EQ(
      Value(s, "weft_worker_circuit_breaker_transitions_total{" + labels + ",to=\"half_open\"}"),
      1);
  breakers.SetObserver(nullptr);
}

TEST(WorkerMetricsCodeNameTest, NamesEveryCode) {
  EXPECT_STREQ(WorkerMetrics::CodeName(grpc::StatusCode::UNAVAILABLE), "UNAVAILABLE");
  EXPECT_STREQ(WorkerMetrics::CodeName(grpc::StatusCode::RESOURCE_EXHAUSTED), "RESOURCE_EXHAUSTED");
  EXPECT_STREQ(WorkerMetrics::CodeName(static_cast<grpc::StatusCode>(99)), "UNKNOWN");
}

}  // namespace
}  // namespace weft
