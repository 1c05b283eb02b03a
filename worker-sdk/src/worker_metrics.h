// WorkerMetrics: the Prometheus metrics of one weft::Worker, in a registry that every Worker
// of the process shares (the MetricsExporter's). Names follow Prometheus conventions
// (weft_worker_ prefix, base units, _total counters, _seconds histograms); every series
// carries namespace and task_queue, plus at most one of kind, workflow_type, activity_type,
// method/code: never a workflow or run id, so cardinality stays bounded by what the worker
// registered.
//
//   WorkerMetrics m(registry, "default", "orders", {"Order"}, {"Charge"}, 4, 8);
//   m.RecordPoll(WorkerMetrics::Kind::kActivity, WorkerMetrics::PollResult::kTask, 0.2);
//   { auto slot = m.TakeSlot(WorkerMetrics::Kind::kActivity); ... run the task ... }
//
// Series of the registered types (and every kind/result/outcome) exist at 0 from the start,
// so rate() and increase() see the first event. Two Workers with the same namespace and task
// queue share series; the gauges are moved by deltas, so they add up, and a destroyed
// WorkerMetrics takes its share back out.
//
// Thread safety: thread-safe (prometheus-cpp metrics are atomic). Ownership: the registry
// must outlive this object.
#ifndef WEFT_SDK_SRC_WORKER_METRICS_H_
#define WEFT_SDK_SRC_WORKER_METRICS_H_

#include <grpcpp/support/status.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "weft/circuit_breaker.h"

namespace weft {

class WorkerMetrics {
 public:
  enum class Kind { kWorkflow, kActivity };
  enum class PollResult { kTask, kEmpty, kError };
  enum class ActivityOutcome { kCompleted, kFailed, kCanceled };

  // `workflow_slots` / `activity_slots`: how many tasks of each kind the worker can run at
  // once (its executing threads); reported as available until taken.
  WorkerMetrics(prometheus::Registry& registry, std::string ns, std::string task_queue,
                const std::vector<std::string>& workflow_types,
                const std::vector<std::string>& activity_types, int workflow_slots,
                int activity_slots);
  ~WorkerMetrics();
  WorkerMetrics(const WorkerMetrics&) = delete;
  WorkerMetrics& operator=(const WorkerMetrics&) = delete;

  // A task slot in use for as long as the Slot lives.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : metrics_(other.metrics_), kind_(other.kind_) {
      other.metrics_ = nullptr;
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() {
      if (metrics_ != nullptr) metrics_->ReleaseSlot(kind_);
    }

   private:
    friend class WorkerMetrics;
    Slot(WorkerMetrics* metrics, Kind kind) : metrics_(metrics), kind_(kind) {}
    WorkerMetrics* metrics_;
    Kind kind_;
  };
  Slot TakeSlot(Kind kind);

  // One long poll: its result and how long it was held.
  void RecordPoll(Kind kind, PollResult result, double seconds);
  // A call to the server that did not return OK.
  void RecordRpcError(absl::string_view method, grpc::StatusCode code);

  // A workflow task answered: completed (commands sent) or failed (RespondWorkflowTaskFailed).
  // `seconds`: the time to produce the answer (replay, the new code, fetching history).
  void RecordWorkflowTask(const std::string& workflow_type, bool completed, double seconds);
  // Time spent replaying recorded history before the task's new code ran.
  void RecordReplay(const std::string& workflow_type, double seconds);
  void RecordNondeterminismError(const std::string& workflow_type);

  void RecordActivity(const std::string& activity_type, ActivityOutcome outcome, double seconds);
  void RecordScheduleToStart(const std::string& activity_type, double seconds);

  void RecordStickyCacheHit();
  void RecordStickyCacheMiss();
  void RecordStickyCacheEviction();
  // The number of runs the worker's sticky cache holds now.
  void SetStickyCacheSize(size_t runs);

  // Reports the worker's activity circuit breakers (ActivityContext::Breaker) by breaker key:
  // state (0 closed, 1 open, 2 half-open), transitions, refused calls. The observer refers to
  // this object: unset it before destroying this.
  std::shared_ptr<const CircuitBreaker::Observer> BreakerObserver();

  // "UNAVAILABLE", "NOT_FOUND", ... (the label value of RecordRpcError).
  static const char* CodeName(grpc::StatusCode code);

 private:
  void ReleaseSlot(Kind kind);
  prometheus::Labels With(absl::string_view key, absl::string_view value) const;
  prometheus::Labels With(absl::string_view k1, absl::string_view v1, absl::string_view k2,
                          absl::string_view v2) const;

  const std::string ns_;
  const std::string task_queue_;
  const int workflow_slots_;
  const int activity_slots_;

  prometheus::Family<prometheus::Gauge>& slots_;
  prometheus::Family<prometheus::Counter>& polls_;
  prometheus::Family<prometheus::Histogram>& poll_latency_;
  prometheus::Family<prometheus::Counter>& rpc_errors_;
  prometheus::Family<prometheus::Histogram>& workflow_task_execution_;
  prometheus::Family<prometheus::Histogram>& workflow_task_replay_;
  prometheus::Family<prometheus::Counter>& workflow_tasks_;
  prometheus::Family<prometheus::Counter>& nondeterminism_errors_;
  prometheus::Family<prometheus::Histogram>& activity_execution_;
  prometheus::Family<prometheus::Histogram>& schedule_to_start_;
  prometheus::Family<prometheus::Counter>& activities_;
  prometheus::Gauge& cache_size_;
  prometheus::Counter& cache_hits_;
  prometheus::Counter& cache_misses_;
  prometheus::Counter& cache_evictions_;
  prometheus::Family<prometheus::Gauge>& breaker_state_;
  prometheus::Family<prometheus::Counter>& breaker_transitions_;
  prometheus::Family<prometheus::Counter>& breaker_rejected_;

  absl::Mutex mu_;
  size_t reported_cache_size_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace weft

#endif  // WEFT_SDK_SRC_WORKER_METRICS_H_
