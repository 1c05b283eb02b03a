// weft-bench: a closed-loop load generator for a running weft server.
//
//   weft-bench --address 127.0.0.1:7233 --namespace default --workflows 3000
//              --concurrency 64 --activities 3 [--payload-bytes 0] [--warmup 200] [--json]
//
// It starts its own worker in-process on a task queue of its own (unique unless
// --task-queue is given) with a workflow that runs K activities one after the other (each
// returns its input + 1) and returns the count. Then C client threads each start a
// workflow, wait for its result through weft::Client and start the next, until COUNT
// workflows are done; WARMUP workflows run first and are not measured. Every result is
// checked (a wrong value or a failed workflow counts as an error). Latency is start call →
// result seen by the client.
//
// Threads: the SDK client is synchronous, so one thread per workflow in flight. A thread
// blocked in a gRPC call costs no CPU; at C = 64 the bench process uses well under a tenth
// of a core for them (see bench/README.md), so nothing smarter is needed. The worker gets
// C workflow-task and C activity pollers (and 2C activity slots, so that eager activities
// find free ones) so that it is never the bottleneck. --no-eager-activities turns eager
// activity dispatch off (every activity then goes through matching and a poll).
//
// Output: a human summary, or with --json one line {"workflows":..,"concurrency":..,
// "activities":..,"ok":..,"errors":..,"wall_s":..,"workflows_per_s":..,"p50_ms":..,
// "p90_ms":..,"p99_ms":..} followed by the CPU used per wall second by this process
// ("bench_cpu_cores") and, with --server-pid, by the server ("server_cpu_cores").
// Exit status: 0 when every workflow succeeded, 1 when some failed, 2 on bad usage.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/timer_load.h"
#include "weft/client.h"
#include "weft/worker.h"
#include "weft/workflow.h"

namespace weft::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kWorkflowType[] = "weft-bench.Steps";
constexpr char kActivityType[] = "weft-bench.Increment";
// A workflow that takes longer than this counts as an error (and frees its client thread).
constexpr auto kResultTimeout = std::chrono::seconds(120);

// The value passed through the chain of activities. `pad` carries --payload-bytes, so the
// payload travels both ways (as activity input and as its result) on every step.
struct Step {
  int64_t n = 0;
  std::string pad;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Step, n, pad)

Step Increment(Step in) {
  ++in.n;
  return in;
}

Workflow<int64_t> Steps(WorkflowContext& ctx, int64_t activities, std::string pad) {
  // A named variable, not a braced temporary in the co_await expression (see the note on
  // ActivityOptions in workflow_context.h).
  const ActivityOptions options{.start_to_close = std::chrono::seconds(30)};
  Step step{0, std::move(pad)};
  for (int64_t i = 0; i < activities; ++i) {
    step = co_await ctx.ExecuteActivity<Step>(kActivityType, options, step);
  }
  co_return step.n;
}

struct Options {
  std::string address = "127.0.0.1:7233";
  std::string ns = "default";
  int workflows = 1000;
  int concurrency = 16;
  int activities = 1;
  int payload_bytes = 0;
  int warmup = 0;
  bool json = false;
  std::string task_queue;            // empty: a unique name
  int server_pid = 0;                // 0: do not report the server's CPU
  int max_cached_workflows = 1000;   // the worker's sticky cache; 0: sticky execution off
  bool no_eager_activities = false;  // every activity through matching (A/B of eager dispatch)
};

struct PhaseResult {
  std::vector<double> latencies_ms;  // of the successful workflows
  int errors = 0;
  std::string first_error;
  double wall_s = 0;
};

// CPU seconds (user + system) used by a process so far, from /proc/PID/stat; nullopt when
// it cannot be read.
std::optional<double> ProcessCpuSeconds(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 0; i < 13 && fields >> field; ++i) {
    if (i == 11 || i == 12) ticks += std::stod(field);  // utime, stime (fields 14, 15)
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

// Runs `count` workflows with `concurrency` in flight; workflow ids are prefix-<index>.
PhaseResult RunPhase(Client& client, const Options& opts, const std::string& id_prefix, int count) {
  PhaseResult result;
  result.latencies_ms.reserve(count);
  std::mutex mu;
  std::atomic<int> next{0};
  const std::string pad(static_cast<size_t>(opts.payload_bytes), 'x');
  StartWorkflowOptions start_options{.task_queue = opts.task_queue};

  auto loop = [&] {
    StartWorkflowOptions so = start_options;
    for (int i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      so.id = absl::StrCat(id_prefix, i);
      Clock::time_point t0 = Clock::now();
      absl::Status status;
      absl::StatusOr<WorkflowRun> run =
          client.StartWorkflow(kWorkflowType, so, static_cast<int64_t>(opts.activities), pad);
      if (run.ok()) {
        absl::StatusOr<int64_t> value =
            client.GetResult<int64_t>(run->workflow_id, run->run_id, kResultTimeout);
        if (!value.ok()) {
          status = value.status();
        } else if (*value != opts.activities) {
          status = absl::InternalError(
              absl::StrCat("workflow ", so.id, " returned ", *value, ", want ", opts.activities));
        }
      } else {
        status = run.status();
      }
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      std::lock_guard<std::mutex> lock(mu);
      if (status.ok()) {
        result.latencies_ms.push_back(ms);
      } else {
        if (result.errors++ == 0) result.first_error = status.ToString();
      }
    }
  };

  Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  int n_threads = std::min(opts.concurrency, count);
  threads.reserve(n_threads);
  for (int t = 0; t < n_threads; ++t) threads.emplace_back(loop);
  for (std::thread& t : threads) t.join();
  result.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

// Nearest-rank percentile of sorted values (the same rule as the peers' load generator).
double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<int64_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<int64_t>(rank - 1, 0, static_cast<int64_t>(sorted.size()) - 1);
  return sorted[static_cast<size_t>(rank)];
}

std::string UniqueSuffix() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return absl::StrCat(getpid(), "-",
                      std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

int Run(const Options& given) {
  Options opts = given;
  const std::string suffix = UniqueSuffix();
  if (opts.task_queue.empty()) opts.task_queue = absl::StrCat("weft-bench-", suffix);

  // The worker gets its own connection, as a worker process would.
  auto worker_client = Client::Connect({.address = opts.address, .ns = opts.ns});
  auto load_client = Client::Connect({.address = opts.address, .ns = opts.ns});
  if (!worker_client.ok() || !load_client.ok()) {
    std::cerr << "weft-bench: "
              << (worker_client.ok() ? load_client.status() : worker_client.status()) << "\n";
    return 2;
  }
  // C activity pollers either way; twice as many slots so that, with eager activities, the
  // pollers never hold every slot (each workflow runs one activity at a time, so at most C
  // run at once).
  const int activity_pollers = std::max(opts.concurrency, 2);
  Worker worker(**worker_client, {.task_queue = opts.task_queue,
                                  .max_concurrent_workflow_tasks = std::max(opts.concurrency, 2),
                                  .max_concurrent_activities = 2 * activity_pollers,
                                  .max_concurrent_activity_task_pollers = activity_pollers,
                                  .disable_eager_activities = opts.no_eager_activities,
                                  .max_cached_workflows = opts.max_cached_workflows});
  worker.RegisterWorkflow(kWorkflowType, Steps);
  worker.RegisterActivity(kActivityType, Increment);
  if (absl::Status s = worker.Start(); !s.ok()) {
    std::cerr << "weft-bench: worker: " << s << "\n";
    return 2;
  }

  if (opts.warmup > 0) {
    PhaseResult warm =
        RunPhase(**load_client, opts, absl::StrCat("warmup-", suffix, "-"), opts.warmup);
    if (warm.errors > 0) {
      std::cerr << "weft-bench: warmup: " << warm.errors << " errors, first: " << warm.first_error
                << "\n";
    }
  }

  double self_cpu0 = SelfCpuSeconds();
  std::optional<double> server_cpu0;
  if (opts.server_pid > 0) server_cpu0 = ProcessCpuSeconds(opts.server_pid);
  PhaseResult r =
      RunPhase(**load_client, opts, absl::StrCat("bench-", suffix, "-"), opts.workflows);
  double self_cpu = SelfCpuSeconds() - self_cpu0;
  std::optional<double> server_cpu;
  if (server_cpu0) {
    std::optional<double> now = ProcessCpuSeconds(opts.server_pid);
    if (now) server_cpu = *now - *server_cpu0;
  }
  const StickyStats sticky = worker.sticky_stats();
  const int64_t eager_tasks = worker.eager_activity_tasks();  // warmup included
  worker.Shutdown();

  std::sort(r.latencies_ms.begin(), r.latencies_ms.end());
  const int ok = static_cast<int>(r.latencies_ms.size());
  const double per_s = r.wall_s > 0 ? ok / r.wall_s : 0;
  const double p50 = Percentile(r.latencies_ms, 50), p90 = Percentile(r.latencies_ms, 90),
               p99 = Percentile(r.latencies_ms, 99);
  const double bench_cores = r.wall_s > 0 ? self_cpu / r.wall_s : 0;
  if (opts.json) {
    std::string line = absl::StrFormat(
        "{\"workflows\":%d,\"concurrency\":%d,\"activities\":%d,\"ok\":%d,\"errors\":%d,"
        "\"wall_s\":%.3f,\"workflows_per_s\":%.1f,\"p50_ms\":%.2f,\"p90_ms\":%.2f,"
        "\"p99_ms\":%.2f,\"bench_cpu_cores\":%.2f",
        opts.workflows, opts.concurrency, opts.activities, ok, r.errors, r.wall_s, per_s, p50, p90,
        p99, bench_cores);
    if (server_cpu)
      absl::StrAppendFormat(&line, ",\"server_cpu_cores\":%.2f", *server_cpu / r.wall_s);
    absl::StrAppendFormat(&line,
                          ",\"max_cached_workflows\":%d,\"full_history_tasks\":%d,"
                          "\"partial_history_tasks\":%d,\"cache_hits\":%d",
                          opts.max_cached_workflows, sticky.full_history_tasks,
                          sticky.partial_history_tasks, sticky.cache_hits);
    absl::StrAppendFormat(&line, ",\"eager_activity_tasks\":%d", eager_tasks);
    line += "}";
    std::printf("%s\n", line.c_str());
  } else {
    std::printf("weft-bench: %d workflows x %d activities, %d in flight, payload %d B, queue %s\n",
                opts.workflows, opts.activities, opts.concurrency, opts.payload_bytes,
                opts.task_queue.c_str());
    std::printf("  ok %d  errors %d  wall %.3f s  %.1f workflows/s\n", ok, r.errors, r.wall_s,
                per_s);
    std::printf("  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", p50, p90, p99,
                r.latencies_ms.empty() ? 0.0 : r.latencies_ms.back());
    std::printf("  cpu cores: bench %.2f", bench_cores);
    if (server_cpu) std::printf("  server %.2f", *server_cpu / r.wall_s);
    std::printf("\n");
    std::printf(
        "  workflow tasks (warmup included): %lld with full history, %lld partial "
        "(sticky), %lld from the cache\n",
        static_cast<long long>(sticky.full_history_tasks),
        static_cast<long long>(sticky.partial_history_tasks),
        static_cast<long long>(sticky.cache_hits));
    std::printf("  activity tasks started eagerly (warmup included): %lld\n",
                static_cast<long long>(eager_tasks));
  }
  if (r.errors > 0) std::cerr << "weft-bench: first error: " << r.first_error << "\n";
  std::fflush(stdout);
  return r.errors > 0 ? 1 : 0;
}

}  // namespace
}  // namespace weft::bench

int main(int argc, char** argv) {
  weft::bench::Options opts;
  weft::bench::TimerLoadOptions timers;
  CLI::App app{"Closed-loop load generator for a weft server (workflows of K activities)."};
  app.add_option("--address", opts.address, "server address")->capture_default_str();
  app.add_option("--namespace", opts.ns, "namespace")->capture_default_str();
  app.add_option("--workflows", opts.workflows, "workflows to measure")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  app.add_option("--concurrency", opts.concurrency, "workflows in flight")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--activities", opts.activities, "activities per workflow, run one after another")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  app.add_option("--payload-bytes", opts.payload_bytes, "extra bytes carried by every payload")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 20));
  app.add_option("--warmup", opts.warmup, "workflows run first and not measured")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--json", opts.json, "print one JSON line");
  app.add_option("--task-queue", opts.task_queue, "task queue (default: a unique name)");
  app.add_option("--max-cached-workflows", opts.max_cached_workflows,
                 "runs the worker keeps cached for sticky execution (0: off, full replay)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_flag("--no-eager-activities", opts.no_eager_activities,
               "send every activity through the task queue (the worker asks for no eager "
               "activities in its workflow-task answers)");
  app.add_option("--server-pid", opts.server_pid,
                 "also report the CPU used by this process (the server) during the run");
  // The open-timers load (bench/timer_load.h) instead of the closed loop.
  app.add_option("--timer-workflows", timers.workflows,
                 "start this many workflows that each sleep on one timer, all open at once, and "
                 "report server RSS and timer delay (instead of the closed loop)")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--timer-seconds", timers.timer_seconds,
                 "each timer workflow's sleep; longer than the start phase")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  app.add_option("--start-threads", timers.start_threads, "client threads starting workflows")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--metrics-url", timers.metrics_url,
                 "the server's /metrics (http://HOST:PORT/metrics), for the timer delay");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (timers.workflows > 0) {
    timers.address = opts.address;
    timers.ns = opts.ns;
    timers.task_queue = opts.task_queue;
    timers.server_pid = opts.server_pid;
    timers.json = opts.json;
    return weft::bench::RunTimerLoad(timers);
  }
  return weft::bench::Run(opts);
}
