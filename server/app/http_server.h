// HttpServer: the operator-facing HTTP endpoint: /metrics (Prometheus text format from the
// server's collectables), /healthz (the process is up) and /readyz (it accepts calls). With a
// certificate and key it serves HTTPS only (the same files as the gRPC port's TLS).
//
// Built on cpp-httplib (Debian's build links OpenSSL 3; Debian's civetweb 1.15 loads
// OpenSSL 1.1 symbols at run time and cannot serve HTTPS on Debian 12).
//
// Thread safety: thread-safe; requests are served on the library's worker threads.
// Ownership: holds shared references to the collectables; stops serving when destroyed.
#ifndef WEFT_SERVER_APP_HTTP_SERVER_H_
#define WEFT_SERVER_APP_HTTP_SERVER_H_

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace weft::app {

class HttpServer {
 public:
  struct Tls {
    std::string cert_file;  // PEM certificate chain
    std::string key_file;   // PEM private key
  };

  // `address` is HOST:PORT; port 0 picks a free port (see port()). With `tls` set, HTTPS;
  // unreadable files or a key that does not match the certificate are INVALID_ARGUMENT.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& address,
      std::vector<std::shared_ptr<prometheus::Collectable>> collectables, const Tls* tls = nullptr);
  ~HttpServer();

  // Loads a certificate and key as a TLS server would: INVALID_ARGUMENT saying what is wrong
  // (unreadable, not PEM, key and certificate do not match).
  static absl::Status CheckTls(const Tls& tls);

  int port() const { return port_; }
  void SetReady(bool ready) { ready_ = ready; }

 private:
  HttpServer() = default;
  std::vector<prometheus::MetricFamily> CollectAll() const;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  int port_ = 0;
  std::atomic<bool> ready_{false};
};

}  // namespace weft::app

#endif  // WEFT_SERVER_APP_HTTP_SERVER_H_
