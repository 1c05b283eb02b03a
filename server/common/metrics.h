// Metrics: the server's Prometheus registry and the metric families every service reports
// to, named per Prometheus conventions (weft_ prefix, base units, _total counters, _seconds
// histograms). Exposed on the HTTP address at /metrics by the composition root. Labels are
// bounded: namespace, task queue, workflow and activity type, never workflow ids.
//
// Thread safety: all methods are thread-safe (prometheus-cpp metrics are atomic; family
// lookups are guarded by prometheus-cpp's own locks).
// Ownership: the composition root owns the Metrics; services borrow it.
#ifndef WEFT_SERVER_COMMON_METRICS_H_
#define WEFT_SERVER_COMMON_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace weft {

class Metrics {
 public:
  Metrics();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // frontend
  void RecordRpc(const std::string& method, const std::string& code, double seconds);
  // A long poll (task polls, waiting history reads): counted with the RPCs, timed apart so
  // its waiting does not drown the latency of ordinary calls.
  void RecordLongPoll(const std::string& method, const std::string& code, double seconds);

  // workflows and activities (counted once the transition is on disk)
  void WorkflowStarted(const std::string& ns, const std::string& type);
  // outcome: completed, failed, canceled, terminated, timed_out, continued_as_new
  void WorkflowClosed(const std::string& ns, const std::string& type, const std::string& outcome,
                      double duration_seconds);
  void WorkflowTaskFailed(const std::string& ns, const std::string& cause);
  void ActivityAttempt(const std::string& ns, const std::string& activity_type);
  // reason: failed, or the timeout type (start_to_close, heartbeat, ...)
  void ActivityFailure(const std::string& ns, const std::string& activity_type,
                       const std::string& reason);
  void ActivityScheduleToStart(const std::string& ns, double seconds);

  // history
  void RecordCommit(double seconds, int transitions);
  void RecordTransition(const std::string& ns);
  void RecordCacheLookup(bool hit);
  void RecordLockWait(double seconds);
  void RecordTimerDelay(double seconds);

  // matching
  void SetBacklog(const std::string& ns, const std::string& queue, const std::string& kind,
                  double size);
  void RecordDispatch(const std::string& ns, const std::string& kind, bool sync_match);
  void SetPollers(const std::string& ns, const std::string& queue, const std::string& kind,
                  double pollers);
  // A poll that found tasks waiting but had to wait for the queue's dispatch rate limit.
  void RecordDispatchThrottled(const std::string& ns, const std::string& queue,
                               const std::string& kind);
  // sticky execution; outcome: dispatched (to a worker's sticky queue), partial (started
  // with only the new events), fallback (moved to the normal queue)
  void StickyTask(const std::string& ns, const std::string& outcome);
  // eager activity dispatch, per activity that asked for it; outcome: started (for the
  // worker that completed the workflow task), no_slot, other_queue, rate_limited
  void EagerActivity(const std::string& ns, const std::string& outcome);

  // schedules; outcome: taken, skipped (overlap), buffered, buffer_dropped, missed (outside
  // the catch-up window)
  void ScheduleAction(const std::string& ns, const std::string& outcome);

 private:
  // Creates the per-namespace series at 0 the first time a namespace shows up, so the first
  // event of each is visible to rate() and increase().
  void SeeNamespace(const std::string& ns);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& rpc_total_;
  prometheus::Family<prometheus::Histogram>& rpc_latency_;
  prometheus::Family<prometheus::Histogram>& long_poll_;
  prometheus::Family<prometheus::Counter>& workflows_started_;
  prometheus::Family<prometheus::Counter>& workflows_closed_;
  prometheus::Family<prometheus::Histogram>& workflow_duration_;
  prometheus::Family<prometheus::Counter>& workflow_task_failures_;
  prometheus::Family<prometheus::Counter>& activity_attempts_;
  prometheus::Family<prometheus::Counter>& activity_failures_;
  prometheus::Family<prometheus::Histogram>& schedule_to_start_;
  prometheus::Family<prometheus::Counter>& transitions_;
  prometheus::Family<prometheus::Counter>& cache_lookups_;
  prometheus::Histogram& lock_wait_;
  prometheus::Histogram& timer_delay_;
  prometheus::Family<prometheus::Gauge>& backlog_;
  prometheus::Family<prometheus::Counter>& dispatches_;
  prometheus::Family<prometheus::Gauge>& pollers_;
  prometheus::Family<prometheus::Counter>& dispatch_throttled_;
  prometheus::Family<prometheus::Counter>& schedule_actions_;
  prometheus::Family<prometheus::Counter>& sticky_tasks_;
  prometheus::Family<prometheus::Counter>& eager_activities_;
  prometheus::Histogram& commit_latency_;
  prometheus::Histogram& commit_batch_size_;
  std::mutex mu_;
  std::set<std::string> seen_namespaces_;  // guarded by mu_
};

}  // namespace weft

#endif  // WEFT_SERVER_COMMON_METRICS_H_
