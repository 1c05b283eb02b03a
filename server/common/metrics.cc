#include "server/common/metrics.h"

namespace weft {
namespace {

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   60};
}

prometheus::Histogram::BucketBoundaries DurationBuckets() {
  return {0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400};
}

constexpr const char* kOutcomes[] = {"completed",  "failed",    "canceled",
                                     "terminated", "timed_out", "continued_as_new"};

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      rpc_total_(prometheus::BuildCounter()
                     .Name("weft_rpc_requests_total")
                     .Help("gRPC calls handled, by method and status code")
                     .Register(*registry_)),
      rpc_latency_(prometheus::BuildHistogram()
                       .Name("weft_rpc_latency_seconds")
                       .Help("gRPC call latency, by method and status code (long polls excluded)")
                       .Register(*registry_)),
      long_poll_(prometheus::BuildHistogram()
                     .Name("weft_long_poll_seconds")
                     .Help("Time a long poll (task poll, waiting history read) was held")
                     .Register(*registry_)),
      workflows_started_(prometheus::BuildCounter()
                             .Name("weft_workflows_started_total")
                             .Help("Workflow runs started")
                             .Register(*registry_)),
      workflows_closed_(prometheus::BuildCounter()
                            .Name("weft_workflows_closed_total")
                            .Help("Workflow runs closed, by outcome")
                            .Register(*registry_)),
      workflow_duration_(prometheus::BuildHistogram()
                             .Name("weft_workflow_duration_seconds")
                             .Help("Start to close of a workflow run, by type and outcome")
                             .Register(*registry_)),
      workflow_task_failures_(prometheus::BuildCounter()
                                  .Name("weft_workflow_task_failures_total")
                                  .Help("Workflow tasks failed by workers or refused, by cause")
                                  .Register(*registry_)),
      activity_attempts_(prometheus::BuildCounter()
                             .Name("weft_activity_attempts_total")
                             .Help("Activity attempts dispatched to workers")
                             .Register(*registry_)),
      activity_failures_(prometheus::BuildCounter()
                             .Name("weft_activity_failures_total")
                             .Help("Activity attempts that failed or timed out, by reason")
                             .Register(*registry_)),
      schedule_to_start_(prometheus::BuildHistogram()
                             .Name("weft_activity_schedule_to_start_seconds")
                             .Help("Wait of an activity attempt in its task queue")
                             .Register(*registry_)),
      transitions_(prometheus::BuildCounter()
                       .Name("weft_history_transitions_total")
                       .Help("Workflow state transitions committed")
                       .Register(*registry_)),
      cache_lookups_(prometheus::BuildCounter()
                         .Name("weft_history_cache_lookups_total")
                         .Help("Mutable-state cache lookups, by result (hit, miss)")
                         .Register(*registry_)),
      lock_wait_(prometheus::BuildHistogram()
                     .Name("weft_history_lock_wait_seconds")
                     .Help("Wait for a workflow execution's lock")
                     .Register(*registry_)
                     .Add({}, LatencyBuckets())),
      timer_delay_(prometheus::BuildHistogram()
                       .Name("weft_history_timer_delay_seconds")
                       .Help("Lateness of timer tasks (handled minus due time)")
                       .Register(*registry_)
                       .Add({}, LatencyBuckets())),
      backlog_(prometheus::BuildGauge()
                   .Name("weft_task_queue_backlog")
                   .Help("Tasks waiting in a task queue's durable backlog")
                   .Register(*registry_)),
      dispatches_(prometheus::BuildCounter()
                      .Name("weft_matching_dispatches_total")
                      .Help("Tasks handed to task queues, by path (sync: straight to a waiting "
                            "poller; backlog: written first)")
                      .Register(*registry_)),
      pollers_(prometheus::BuildGauge()
                   .Name("weft_task_queue_pollers")
                   .Help("Workers waiting in a long poll on a task queue")
                   .Register(*registry_)),
      dispatch_throttled_(prometheus::BuildCounter()
                              .Name("weft_task_queue_dispatch_throttled_total")
                              .Help("Polls that found tasks waiting but waited for the task "
                                    "queue's dispatch rate limit")
                              .Register(*registry_)),
      schedule_actions_(prometheus::BuildCounter()
                            .Name("weft_schedule_actions_total")
                            .Help("Schedule actions by outcome (taken, skipped, buffered, "
                                  "buffer_dropped, missed)")
                            .Register(*registry_)),
      sticky_tasks_(prometheus::BuildCounter()
                        .Name("weft_sticky_workflow_tasks_total")
                        .Help("Sticky workflow tasks by outcome (dispatched, partial, fallback)")
                        .Register(*registry_)),
      eager_activities_(prometheus::BuildCounter()
                            .Name("weft_eager_activities_total")
                            .Help("Activities scheduled with request_eager_execution, by outcome "
                                  "(started for the completing worker; no_slot, other_queue, "
                                  "rate_limited: dispatched through matching)")
                            .Register(*registry_)),
      commit_latency_(prometheus::BuildHistogram()
                          .Name("weft_commit_latency_seconds")
                          .Help("Latency of one synced RocksDB group write")
                          .Register(*registry_)
                          .Add({}, LatencyBuckets())),
      commit_batch_size_(
          prometheus::BuildHistogram()
              .Name("weft_commit_batch_transitions")
              .Help("State transitions merged into one group write")
              .Register(*registry_)
              .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256})) {
}

void Metrics::SeeNamespace(const std::string& ns) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!seen_namespaces_.insert(ns).second) return;
  workflows_started_.Add({{"namespace", ns}});
  for (const char* outcome : kOutcomes) {
    workflows_closed_.Add({{"namespace", ns}, {"outcome", outcome}});
  }
}

void Metrics::RecordRpc(const std::string& method, const std::string& code, double seconds) {
  rpc_total_.Add({{"method", method}, {"code", code}}).Increment();
  rpc_latency_.Add({{"method", method}, {"code", code}}, LatencyBuckets()).Observe(seconds);
}

void Metrics::RecordLongPoll(const std::string& method, const std::string& code, double seconds) {
  rpc_total_.Add({{"method", method}, {"code", code}}).Increment();
  long_poll_.Add({{"method", method}}, LatencyBuckets()).Observe(seconds);
}

void Metrics::WorkflowStarted(const std::string& ns, const std::string& type) {
  SeeNamespace(ns);
  workflows_started_.Add({{"namespace", ns}}).Increment();
}

void Metrics::WorkflowClosed(const std::string& ns, const std::string& type,
                             const std::string& outcome, double duration_seconds) {
  SeeNamespace(ns);
  workflows_closed_.Add({{"namespace", ns}, {"outcome", outcome}}).Increment();
  workflow_duration_
      .Add({{"namespace", ns}, {"workflow_type", type}, {"outcome", outcome}}, DurationBuckets())
      .Observe(duration_seconds);
}

void Metrics::WorkflowTaskFailed(const std::string& ns, const std::string& cause) {
  workflow_task_failures_.Add({{"namespace", ns}, {"cause", cause}}).Increment();
}

void Metrics::ActivityAttempt(const std::string& ns, const std::string& activity_type) {
  activity_attempts_.Add({{"namespace", ns}, {"activity_type", activity_type}}).Increment();
}

void Metrics::ActivityFailure(const std::string& ns, const std::string& activity_type,
                              const std::string& reason) {
  activity_failures_.Add({{"namespace", ns}, {"activity_type", activity_type}, {"reason", reason}})
      .Increment();
}

void Metrics::ActivityScheduleToStart(const std::string& ns, double seconds) {
  schedule_to_start_.Add({{"namespace", ns}}, LatencyBuckets()).Observe(seconds);
}

void Metrics::RecordCommit(double seconds, int transitions) {
  commit_latency_.Observe(seconds);
  commit_batch_size_.Observe(transitions);
}

void Metrics::RecordTransition(const std::string& ns) {
  transitions_.Add({{"namespace", ns}}).Increment();
}

void Metrics::RecordCacheLookup(bool hit) {
  cache_lookups_.Add({{"result", hit ? "hit" : "miss"}}).Increment();
}

void Metrics::RecordLockWait(double seconds) { lock_wait_.Observe(seconds); }

void Metrics::RecordTimerDelay(double seconds) { timer_delay_.Observe(seconds); }

void Metrics::SetBacklog(const std::string& ns, const std::string& queue, const std::string& kind,
                         double size) {
  backlog_.Add({{"namespace", ns}, {"task_queue", queue}, {"kind", kind}}).Set(size);
}

void Metrics::RecordDispatch(const std::string& ns, const std::string& kind, bool sync_match) {
  dispatches_.Add({{"namespace", ns}, {"kind", kind}, {"path", sync_match ? "sync" : "backlog"}})
      .Increment();
}

void Metrics::ScheduleAction(const std::string& ns, const std::string& outcome) {
  schedule_actions_.Add({{"namespace", ns}, {"outcome", outcome}}).Increment();
}

void Metrics::StickyTask(const std::string& ns, const std::string& outcome) {
  sticky_tasks_.Add({{"namespace", ns}, {"outcome", outcome}}).Increment();
}

void Metrics::EagerActivity(const std::string& ns, const std::string& outcome) {
  eager_activities_.Add({{"namespace", ns}, {"outcome", outcome}}).Increment();
}

void Metrics::SetPollers(const std::string& ns, const std::string& queue, const std::string& kind,
                         double pollers) {
  pollers_.Add({{"namespace", ns}, {"task_queue", queue}, {"kind", kind}}).Set(pollers);
}

void Metrics::RecordDispatchThrottled(const std::string& ns, const std::string& queue,
                                      const std::string& kind) {
  dispatch_throttled_.Add({{"namespace", ns}, {"task_queue", queue}, {"kind", kind}}).Increment();
}

}  // namespace weft
