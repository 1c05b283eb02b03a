// MetricsExporter: a worker process's own Prometheus endpoint. It owns the process's worker
// metrics registry and serves it as Prometheus text at http://HOST:PORT/metrics (plus
// /healthz), on cpp-httplib's threads.
//
// One exporter per process: every Worker whose WorkerOptions::metrics_address is set calls
// Acquire() with it; the first call starts the endpoint, later calls with the same address
// share it (and its registry, so one scrape shows every worker of the process), and it stops
// when the last holder lets go. A different address while one is running is refused: two
// endpoints over one registry would make Prometheus count every series twice.
//
//   auto exporter = MetricsExporter::Acquire("127.0.0.1:0");
//   if (!exporter.ok()) ...;
//   int port = (*exporter)->port();   // the port the OS picked
//
// Thread safety: thread-safe. Ownership: shared by its holders (shared_ptr); the process-wide
// table only keeps a weak reference.
#ifndef WEFT_SDK_SRC_METRICS_EXPORTER_H_
#define WEFT_SDK_SRC_METRICS_EXPORTER_H_

#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"

namespace httplib {
class Server;
}

namespace weft {

class MetricsExporter {
 public:
  // The process's exporter for `address` (HOST:PORT; port 0 lets the OS pick; [v6]:PORT for
  // IPv6), started on first use. INVALID_ARGUMENT for an address that is not HOST:PORT;
  // UNAVAILABLE when the port cannot be bound; FAILED_PRECONDITION when this process already
  // serves worker metrics on another address.
  static absl::StatusOr<std::shared_ptr<MetricsExporter>> Acquire(const std::string& address);

  ~MetricsExporter();
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }
  // The address asked for, and the port actually bound.
  const std::string& address() const { return address_; }
  int port() const { return port_; }
  // HOST:PORT with the bound port, as a scraper would use it.
  std::string bound_address() const;
  // What GET /metrics returns.
  std::string Serialize() const;

 private:
  MetricsExporter() = default;

  std::string address_;
  std::string host_;
  int port_ = 0;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  absl::Notification stopped_;  // the listening thread returned
};

}  // namespace weft

#endif  // WEFT_SDK_SRC_METRICS_EXPORTER_H_
