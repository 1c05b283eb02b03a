#include "server/app/http_server.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <prometheus/text_serializer.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace weft::app {

absl::Status HttpServer::CheckTls(const Tls& tls) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()),
                                                        &SSL_CTX_free);
  auto fail = [](const std::string& what) {
    char buf[256] = {0};
    ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("TLS: ", what, " (", buf, ")"));
  };
  if (ctx == nullptr) return fail("cannot create a TLS context");
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_file.c_str()) != 1) {
    return fail(absl::StrCat("cannot use certificate ", tls.cert_file));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail(absl::StrCat("cannot use private key ", tls.key_file));
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return fail("the private key does not match the certificate");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& address, std::vector<std::shared_ptr<prometheus::Collectable>> collectables,
    const Tls* tls) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP address \"", address, "\" is not HOST:PORT"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }

  std::unique_ptr<HttpServer> server(new HttpServer());
  server->collectables_ = std::move(collectables);
  if (tls != nullptr) {
    if (auto s = CheckTls(*tls); !s.ok()) return s;
    server->server_ =
        std::make_unique<httplib::SSLServer>(tls->cert_file.c_str(), tls->key_file.c_str());
  } else {
    server->server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& svr = *server->server_;
  if (!svr.is_valid()) return absl::InternalError("the HTTP server could not be set up");
  HttpServer* self = server.get();
  svr.Get("/metrics", [self](const httplib::Request&, httplib::Response& res) {
    prometheus::TextSerializer serializer;
    res.set_content(serializer.Serialize(self->CollectAll()), "text/plain; version=0.0.4");
  });
  svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  svr.Get("/readyz", [self](const httplib::Request&, httplib::Response& res) {
    if (self->ready_) {
      res.set_content("ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content("starting\n", "text/plain");
    }
  });
  bool bound = false;
  if (port == 0) {
    int picked = svr.bind_to_any_port(host);
    bound = picked > 0;
    port = picked;
  } else {
    bound = svr.bind_to_port(host, port);
  }
  if (!bound) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for HTTP on ", address, " (is the port in use?)"));
  }
  server->port_ = port;
  server->thread_ = std::thread([self] { self->server_->listen_after_bind(); });
  return server;
}

HttpServer::~HttpServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
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

}  // namespace weft::app
