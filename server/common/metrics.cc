#include "server/common/metrics.h"

namespace weft {
namespace {

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   60};
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      rpc_total_(prometheus::BuildCounter()
                     .Name("weft_rpc_requests_total")
                     .Help("gRPC calls handled, by method and status code")
                     .Register(*registry_)),
      rpc_latency_(prometheus::BuildHistogram()
                       .Name("weft_rpc_latency_seconds")
                       .Help("gRPC call latency, by method and status code")
                       .Register(*registry_)),
      workflows_started_(prometheus::BuildCounter()
                             .Name("weft_workflows_started_total")
                             .Help("Workflow runs started")
                             .Register(*registry_)),
      workflows_closed_(prometheus::BuildCounter()
                            .Name("weft_workflows_closed_total")
                            .Help("Workflow runs closed, by outcome")
                            .Register(*registry_)),
      activity_attempts_(prometheus::BuildCounter()
                             .Name("weft_activity_attempts_total")
                             .Help("Activity attempts dispatched to workers")
                             .Register(*registry_)),
      activity_failures_(prometheus::BuildCounter()
                             .Name("weft_activity_failures_total")
                             .Help("Activity attempts that failed or timed out")
                             .Register(*registry_)),
      backlog_(prometheus::BuildGauge()
                   .Name("weft_task_queue_backlog")
                   .Help("Tasks waiting in a task queue's durable backlog")
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

void Metrics::RecordRpc(const std::string& method, const std::string& code, double seconds) {
  rpc_total_.Add({{"method", method}, {"code", code}}).Increment();
  rpc_latency_.Add({{"method", method}, {"code", code}}, LatencyBuckets()).Observe(seconds);
}

void Metrics::WorkflowStarted(const std::string& ns) {
  workflows_started_.Add({{"namespace", ns}}).Increment();
}

void Metrics::WorkflowClosed(const std::string& ns, const std::string& outcome) {
  workflows_closed_.Add({{"namespace", ns}, {"outcome", outcome}}).Increment();
}

void Metrics::ActivityAttempt(const std::string& ns, const std::string& activity_type) {
  activity_attempts_.Add({{"namespace", ns}, {"activity_type", activity_type}}).Increment();
}

void Metrics::ActivityFailure(const std::string& ns, const std::string& activity_type) {
  activity_failures_.Add({{"namespace", ns}, {"activity_type", activity_type}}).Increment();
}

void Metrics::SetBacklog(const std::string& ns, const std::string& queue, const std::string& kind,
                         double size) {
  backlog_.Add({{"namespace", ns}, {"task_queue", queue}, {"kind", kind}}).Set(size);
}

void Metrics::RecordCommit(double seconds, int transitions) {
  commit_latency_.Observe(seconds);
  commit_batch_size_.Observe(transitions);
}

}  // namespace weft
