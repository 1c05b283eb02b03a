// HttpServer: the operator-facing HTTP endpoint: /metrics (Prometheus text format from the
// server's collectables), /healthz (the process is up) and /readyz (it accepts calls).
//
// Thread safety: thread-safe; civetweb serves requests on its own threads.
// Ownership: holds shared references to the collectables; stops serving when destroyed.
#ifndef WEFT_SERVER_APP_HTTP_SERVER_H_
#define WEFT_SERVER_APP_HTTP_SERVER_H_

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

struct mg_context;
struct mg_connection;

namespace weft::app {

class HttpServer {
 public:
  // `address` is HOST:PORT; port 0 picks a free port (see port()).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& address,
      std::vector<std::shared_ptr<prometheus::Collectable>> collectables);
  ~HttpServer();

  int port() const { return port_; }
  void SetReady(bool ready) { ready_ = ready; }

 private:
  HttpServer() = default;
  std::vector<prometheus::MetricFamily> CollectAll() const;
  static int HandleMetrics(::mg_connection* conn, void* self);
  static int HandleHealth(::mg_connection* conn, void* self);
  static int HandleReady(::mg_connection* conn, void* self);

  mg_context* ctx_ = nullptr;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  int port_ = 0;
  std::atomic<bool> ready_{false};
};

}  // namespace weft::app

#endif  // WEFT_SERVER_APP_HTTP_SERVER_H_
