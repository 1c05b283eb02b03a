#include "server/app/http_server.h"

#include <civetweb.h>
#include <prometheus/text_serializer.h>

#include "absl/strings/str_cat.h"

namespace weft::app {
namespace {

int Reply(::mg_connection* conn, int code, const std::string& content_type,
          const std::string& body) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Connection: close\r\n\r\n",
            code, code == 200 ? "OK" : "Service Unavailable", content_type.c_str(), body.size());
  mg_write(conn, body.data(), body.size());
  return code;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& address,
    std::vector<std::shared_ptr<prometheus::Collectable>> collectables) {
  static const unsigned init = mg_init_library(0);
  (void)init;
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->collectables_ = std::move(collectables);
  const char* options[] = {
      "listening_ports", address.c_str(), "num_threads", "4", "enable_keep_alive", "no", nullptr};
  server->ctx_ = mg_start(nullptr, nullptr, options);
  if (server->ctx_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for HTTP on ", address, " (is the port in use?)"));
  }
  struct mg_server_port ports[4];
  int n = mg_get_server_ports(server->ctx_, 4, ports);
  if (n < 1) return absl::InternalError("HTTP server has no listening port");
  server->port_ = ports[0].port;
  mg_set_request_handler(server->ctx_, "/metrics", &HttpServer::HandleMetrics, server.get());
  mg_set_request_handler(server->ctx_, "/healthz", &HttpServer::HandleHealth, server.get());
  mg_set_request_handler(server->ctx_, "/readyz", &HttpServer::HandleReady, server.get());
  return server;
}

HttpServer::~HttpServer() {
  if (ctx_ != nullptr) mg_stop(ctx_);
}

std::vector<prometheus::MetricFamily> HttpServer::CollectAll() const {
  std::vector<prometheus::MetricFamily> all;
  for (const auto& c : collectables_) {
    auto families = c->Collect();
    all.insert(all.end(), std::make_move_iterator(families.begin()),
               std::make_move_iterator(families.end()));
  }
  return all;
}

int HttpServer::HandleMetrics(::mg_connection* conn, void* self) {
  auto* s = static_cast<HttpServer*>(self);
  prometheus::TextSerializer serializer;
  return Reply(conn, 200, "text/plain; version=0.0.4", serializer.Serialize(s->CollectAll()));
}

int HttpServer::HandleHealth(::mg_connection* conn, void*) {
  return Reply(conn, 200, "text/plain", "ok\n");
}

int HttpServer::HandleReady(::mg_connection* conn, void* self) {
  auto* s = static_cast<HttpServer*>(self);
  return s->ready_ ? Reply(conn, 200, "text/plain", "ready\n")
                   : Reply(conn, 503, "text/plain", "starting\n");
}

}  // namespace weft::app
