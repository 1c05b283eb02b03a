// weft-samples-worker: runs the sample workflows and activities on one task queue until
// SIGTERM/SIGINT, then shuts down gracefully (in-flight tasks finish).
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "samples.h"
#include "weft/client.h"
#include "weft/worker.h"

int main(int argc, char** argv) {
  // Block the stop signals in every thread (gRPC starts its own) and take them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const char* env_address = std::getenv("WEFT_ADDRESS");
  std::string address = env_address != nullptr && *env_address ? env_address : "127.0.0.1:7233";
  std::string ns = "default";
  std::string task_queue = "samples";
  CLI::App app{"Runs the weft sample workflows and activities."};
  app.add_option("--address", address,
                 "weft server address (default: $WEFT_ADDRESS or 127.0.0.1:7233)");
  app.add_option("--namespace", ns, "namespace")->capture_default_str();
  app.add_option("--task-queue", task_queue, "task queue to poll")->capture_default_str();
  double activities_per_second = 0;
  app.add_option("--activities-per-second", activities_per_second,
                 "dispatch rate limit of the task queue's activities (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  int max_cached_workflows = 1000;
  app.add_option("--max-cached-workflows", max_cached_workflows,
                 "runs kept in memory for sticky execution (0: off, every task replays)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  int sticky_timeout_ms = 5000;
  app.add_option("--sticky-schedule-to-start-timeout-ms", sticky_timeout_ms,
                 "how long a run's next task waits on this worker's sticky queue")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  std::string metrics_address;
  app.add_option("--metrics-address", metrics_address,
                 "serve this worker's Prometheus metrics at http://HOST:PORT/metrics "
                 "(port 0: any free port, printed in the ready line; empty: off)");
  CLI11_PARSE(app, argc, argv);

  auto client = weft::Client::Connect({.address = address, .ns = ns});
  if (!client.ok()) {
    std::cerr << "weft-samples-worker: " << client.status() << "\n";
    return 1;
  }
  weft::Worker worker(
      **client, {.task_queue = task_queue,
                 .max_task_queue_activities_per_second = activities_per_second,
                 .max_cached_workflows = max_cached_workflows,
                 .sticky_schedule_to_start_timeout = std::chrono::milliseconds(sticky_timeout_ms),
                 .metrics_address = metrics_address});
  weft::samples::RegisterGreeting(worker);
  weft::samples::RegisterSleep(worker);
  weft::samples::RegisterAwaitSignal(worker);
  weft::samples::RegisterFlaky(worker);
  weft::samples::RegisterSlowGreeting(worker);
  weft::samples::RegisterQueryableCounter(worker);
  weft::samples::RegisterContinueAsNewCounter(worker);
  weft::samples::RegisterVersioned(worker);
  weft::samples::RegisterHeartbeatingActivity(worker);
  weft::samples::RegisterCancellableSaga(worker);
  weft::samples::RegisterParentChild(worker);
  weft::samples::RegisterGuardedDownstream(worker);
  weft::samples::RegisterOrderStages(worker);
  if (absl::Status status = worker.Start(); !status.ok()) {
    std::cerr << "weft-samples-worker: " << status << "\n";
    return 1;
  }
  std::string metrics;
  if (worker.metrics_port() > 0) {
    // The host asked for, with the port actually bound (port 0 picks one).
    metrics = " metrics=" + metrics_address.substr(0, metrics_address.rfind(':') + 1) +
              std::to_string(worker.metrics_port());
  }
  std::printf("weft-samples-worker ready task_queue=%s%s\n", task_queue.c_str(), metrics.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "weft-samples-worker: signal %d, shutting down\n", sig);
  worker.Shutdown();
  std::fprintf(stderr, "weft-samples-worker: stopped\n");
  return 0;
}
