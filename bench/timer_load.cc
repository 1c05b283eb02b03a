#include "bench/timer_load.h"

#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "weft/client.h"
#include "weft/worker.h"
#include "weft/workflow.h"

namespace weft::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kSleeperType[] = "weft-bench.Sleeper";
constexpr char kDelayMetric[] = "weft_history_timer_delay_seconds";

Workflow<int64_t> Sleeper(WorkflowContext& ctx, int64_t seconds) {
  co_await ctx.Sleep(std::chrono::seconds(seconds));
  co_return seconds;
}

// The timer-delay histogram summed over its label sets: cumulative counts by upper bound.
struct Histogram {
  std::map<double, double> buckets;  // le -> cumulative count
  double sum = 0;
  double count = 0;
};

std::optional<Histogram> ScrapeDelay(const std::string& url) {
  // url: http://host:port/path
  constexpr absl::string_view kScheme = "http://";
  if (absl::string_view(url).substr(0, kScheme.size()) != kScheme) return std::nullopt;
  std::string rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string host_port = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "/metrics" : rest.substr(slash);
  httplib::Client http("http://" + host_port);
  http.set_connection_timeout(5);
  http.set_read_timeout(10);
  auto res = http.Get(path);
  if (!res || res->status != 200) return std::nullopt;
  Histogram h;
  std::istringstream lines(res->body);
  std::string line;
  const std::string bucket = absl::StrCat(kDelayMetric, "_bucket{");
  const std::string sum = absl::StrCat(kDelayMetric, "_sum");
  const std::string count = absl::StrCat(kDelayMetric, "_count");
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    double value = 0;
    if (!absl::SimpleAtod(line.substr(space + 1), &value)) continue;
    if (line.rfind(bucket, 0) == 0) {
      size_t le = line.find("le=\"");
      if (le == std::string::npos) continue;
      size_t end = line.find('"', le + 4);
      std::string bound = line.substr(le + 4, end - le - 4);
      double b = bound == "+Inf" ? 1e300 : 0;
      if (bound != "+Inf" && !absl::SimpleAtod(bound, &b)) continue;
      h.buckets[b] += value;
    } else if (line.rfind(sum, 0) == 0) {
      h.sum += value;
    } else if (line.rfind(count, 0) == 0) {
      h.count += value;
    }
  }
  return h;
}

// The smallest bucket bound under which fraction `q` of the observations between `before` and
// `after` fall (so "p99 <= 0.05 s" when it returns 0.05).
double QuantileBound(const Histogram& before, const Histogram& after, double q) {
  double total = after.count - before.count;
  if (total <= 0) return 0;
  for (const auto& [le, cum] : after.buckets) {
    auto it = before.buckets.find(le);
    double n = cum - (it == before.buckets.end() ? 0 : it->second);
    if (n >= q * total) return le;
  }
  return 1e300;
}

std::optional<double> RssMiB(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream f(line.substr(6));
      double kb = 0;
      f >> kb;
      return kb / 1024.0;
    }
  }
  return std::nullopt;
}

}  // namespace

int RunTimerLoad(const TimerLoadOptions& given) {
  TimerLoadOptions opts = given;
  if (opts.task_queue.empty()) {
    opts.task_queue = absl::StrCat("weft-bench-timers-", getpid(), "-",
                                   std::chrono::system_clock::now().time_since_epoch().count());
  }
  auto worker_client = Client::Connect({.address = opts.address, .ns = opts.ns});
  auto load_client = Client::Connect({.address = opts.address, .ns = opts.ns});
  if (!worker_client.ok() || !load_client.ok()) {
    std::cerr << "weft-bench: "
              << (worker_client.ok() ? load_client.status() : worker_client.status()) << "\n";
    return 2;
  }
  Worker worker(**worker_client, {.task_queue = opts.task_queue,
                                  .max_concurrent_workflow_tasks = 8,
                                  .max_cached_workflows = 1000});
  worker.RegisterWorkflow(kSleeperType, Sleeper);
  if (absl::Status s = worker.Start(); !s.ok()) {
    std::cerr << "weft-bench: worker: " << s << "\n";
    return 2;
  }

  std::optional<Histogram> before;
  if (!opts.metrics_url.empty()) {
    before = ScrapeDelay(opts.metrics_url);
    if (!before) {
      std::cerr << "weft-bench: cannot scrape " << opts.metrics_url << "\n";
      return 2;
    }
  }

  // Peak RSS of the server, sampled once a second for the whole run.
  std::atomic<bool> done{false};
  std::atomic<double> peak_rss{0};
  std::thread sampler([&] {
    while (!done.load()) {
      if (opts.server_pid > 0) {
        if (auto rss = RssMiB(opts.server_pid); rss && *rss > peak_rss.load()) peak_rss = *rss;
      }
      for (int i = 0; i < 10 && !done.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a sampling period
      }
    }
  });

  // Start phase.
  std::atomic<int> next{0};
  std::atomic<int> start_errors{0};
  std::mutex mu;
  std::string first_error;
  const std::string prefix = absl::StrCat(opts.task_queue, "-");
  Clock::time_point t0 = Clock::now();
  std::vector<std::thread> starters;
  for (int t = 0; t < std::max(1, opts.start_threads); ++t) {
    starters.emplace_back([&] {
      StartWorkflowOptions so{.task_queue = opts.task_queue};
      for (int i = next.fetch_add(1); i < opts.workflows; i = next.fetch_add(1)) {
        so.id = absl::StrCat(prefix, i);
        auto run = load_client.value()->StartWorkflow(kSleeperType, so,
                                                      static_cast<int64_t>(opts.timer_seconds));
        if (!run.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (start_errors++ == 0) first_error = run.status().ToString();
        }
      }
    });
  }
  for (std::thread& t : starters) t.join();
  const double start_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const bool all_open_at_once = start_s < opts.timer_seconds;
  const double rss_after_start = opts.server_pid > 0 ? RssMiB(opts.server_pid).value_or(0) : 0;

  // Wait until none is running (or the last timer is well overdue).
  const std::string running =
      absl::StrCat("TaskQueue = '", opts.task_queue, "' AND ExecutionStatus = 'Running'");
  const auto deadline = t0 + std::chrono::seconds(opts.timer_seconds) +
                        std::chrono::duration<double>(start_s * 2 + 120);
  int64_t left = -1;
  while (Clock::now() < deadline) {
    auto n = load_client.value()->CountWorkflows(running);
    if (n.ok()) {
      left = *n;
      if (left == 0) break;
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));  // a polling period, not a wait
  }
  const double total_s = std::chrono::duration<double>(Clock::now() - t0).count();
  done = true;
  sampler.join();
  worker.Shutdown();

  std::optional<Histogram> after;
  if (before) after = ScrapeDelay(opts.metrics_url);
  double fired = 0, mean_ms = 0, p50 = 0, p99 = 0, max_bound = 0;
  if (before && after) {
    fired = after->count - before->count;
    mean_ms = fired > 0 ? (after->sum - before->sum) / fired * 1000 : 0;
    p50 = QuantileBound(*before, *after, 0.50);
    p99 = QuantileBound(*before, *after, 0.99);
    max_bound = QuantileBound(*before, *after, 1.0);
  }
  const int started = opts.workflows - start_errors.load();
  const bool ok = start_errors.load() == 0 && left == 0;
  if (opts.json) {
    std::printf(
        "{\"timer_workflows\":%d,\"timer_seconds\":%d,\"started\":%d,\"start_errors\":%d,"
        "\"start_s\":%.3f,\"starts_per_s\":%.1f,\"all_open_at_once\":%s,\"left_running\":%lld,"
        "\"total_s\":%.3f,\"server_rss_mib_after_start\":%.1f,\"server_peak_rss_mib\":%.1f,"
        "\"timer_tasks_fired\":%.0f,\"delay_mean_ms\":%.2f,\"delay_p50_le_s\":%g,"
        "\"delay_p99_le_s\":%g,\"delay_max_le_s\":%g}\n",
        opts.workflows, opts.timer_seconds, started, start_errors.load(), start_s,
        start_s > 0 ? started / start_s : 0, all_open_at_once ? "true" : "false",
        static_cast<long long>(left), total_s, rss_after_start, peak_rss.load(), fired, mean_ms,
        p50, p99, max_bound);
  } else {
    std::printf("weft-bench: %d workflows each sleeping %d s, queue %s\n", opts.workflows,
                opts.timer_seconds, opts.task_queue.c_str());
    std::printf("  started %d (errors %d) in %.1f s, %.0f/s%s\n", started, start_errors.load(),
                start_s, start_s > 0 ? started / start_s : 0,
                all_open_at_once ? "" : "  (NOT all open at once: use a longer --timer-seconds)");
    std::printf("  still running at the end: %lld, total %.1f s\n", static_cast<long long>(left),
                total_s);
    if (opts.server_pid > 0) {
      std::printf("  server RSS: %.0f MiB after the starts, peak %.0f MiB\n", rss_after_start,
                  peak_rss.load());
    }
    if (before && after) {
      std::printf(
          "  timer tasks fired (user timers and timeouts) %.0f; delay mean %.2f ms, p50 <= %g s, "
          "p99 <= %g s, max <= %g s\n",
          fired, mean_ms, p50, p99, max_bound);
    }
  }
  if (start_errors.load() > 0)
    std::cerr << "weft-bench: first start error: " << first_error << "\n";
  std::fflush(stdout);
  return ok ? 0 : 1;
}

}  // namespace weft::bench
