// Metrics: the server's Prometheus registry and the metric families every service reports
// to. Exposed on the HTTP address at /metrics by the composition root.
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
#include <string>

namespace weft {

class Metrics {
 public:
  Metrics();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void RecordRpc(const std::string& method, const std::string& code, double seconds);
  void WorkflowStarted(const std::string& ns);
  // outcome: completed, failed, canceled, terminated, timed_out
  void WorkflowClosed(const std::string& ns, const std::string& outcome);
  void ActivityAttempt(const std::string& ns, const std::string& activity_type);
  void ActivityFailure(const std::string& ns, const std::string& activity_type);
  void SetBacklog(const std::string& ns, const std::string& queue, const std::string& kind,
                  double size);
  void RecordCommit(double seconds, int transitions);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& rpc_total_;
  prometheus::Family<prometheus::Histogram>& rpc_latency_;
  prometheus::Family<prometheus::Counter>& workflows_started_;
  prometheus::Family<prometheus::Counter>& workflows_closed_;
  prometheus::Family<prometheus::Counter>& activity_attempts_;
  prometheus::Family<prometheus::Counter>& activity_failures_;
  prometheus::Family<prometheus::Gauge>& backlog_;
  prometheus::Histogram& commit_latency_;
  prometheus::Histogram& commit_batch_size_;
};

}  // namespace weft

#endif  // WEFT_SERVER_COMMON_METRICS_H_
