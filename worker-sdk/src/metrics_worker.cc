// The worker's side of its Prometheus metrics: starting (or joining) the process's endpoint
// and creating this worker's series. Part of weft::Worker; see weft/worker.h. The series are
// recorded where the work happens (worker.cc, sticky_worker.cc) through WorkerMetrics.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "metrics_exporter.h"
#include "trace_support.h"
#include "weft/worker.h"
#include "worker_metrics.h"
#include "workflow_cache.h"
#include "workflow_instance.h"

namespace weft {

absl::Status Worker::StartMetrics() {
  absl::StatusOr<std::shared_ptr<MetricsExporter>> exporter =
      MetricsExporter::Acquire(options_.metrics_address);
  if (!exporter.ok()) {
    return absl::Status(exporter.status().code(),
                        absl::StrCat("Worker: ", exporter.status().message()));
  }
  std::vector<std::string> workflow_types;
  for (const auto& [name, unused] : workflows_) workflow_types.push_back(name);
  std::vector<std::string> activity_types;
  for (const auto& [name, unused] : activities_) activity_types.push_back(name);
  // A slot is a thread that can run a task: Start() runs one per concurrent task of each
  // kind, and as many again for the sticky queue.
  const int workflow_slots =
      workflows_.empty() ? 0 : options_.max_concurrent_workflow_tasks * (cache_ ? 2 : 1);
  const int activity_slots = activities_.empty() ? 0 : options_.max_concurrent_activities;
  metrics_exporter_ = *std::move(exporter);
  metrics_ = std::make_unique<WorkerMetrics>(*metrics_exporter_->registry(), client_.ns(),
                                             options_.task_queue, workflow_types, activity_types,
                                             workflow_slots, activity_slots);
  breakers_.SetObserver(metrics_->BreakerObserver());
  detail::SdkLogger().Info(
      absl::StrCat("metrics on http://", metrics_exporter_->bound_address(), "/metrics"),
      {{"task_queue", options_.task_queue}});
  return absl::OkStatus();
}

int Worker::metrics_port() const {
  absl::MutexLock lock(&mu_);
  return started_ && metrics_exporter_ ? metrics_exporter_->port() : 0;
}

}  // namespace weft
