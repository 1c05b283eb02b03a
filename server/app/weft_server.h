// WeftServer: the composition root. Opens storage, wires matching, history and the frontend
// together, and serves gRPC and HTTP. The only code that knows every concrete class; used by
// main() and by integration tests that run a real server in-process.
//
//   auto server = WeftServer::Start(config);   // listening once this returns
//   ... server->grpc_port() ...
//   server->Shutdown();                         // graceful
//
// Thread safety: Shutdown() may be called from any thread, once.
// Ownership: owns everything it wires.
#ifndef WEFT_SERVER_APP_WEFT_SERVER_H_
#define WEFT_SERVER_APP_WEFT_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/app/server_config.h"

namespace weft {
class Clock;
class Metrics;
namespace storage {
class Store;
}
namespace matching {
class MatchingEngine;
}
namespace history {
class CircuitBreakerRegistry;
class HistoryEngine;
}  // namespace history
namespace scheduler {
class Scheduler;
}
namespace frontend {
class NamespaceRegistry;
class WorkflowServiceHandler;
class AdminServiceHandler;
namespace auth {
class AccessControl;
class ApiKeyStore;
class AuditLog;
class JwtKeySource;
class RateLimiter;
class RoleStore;
}  // namespace auth
}  // namespace frontend
namespace app {
class HttpServer;

class WeftServer {
 public:
  static absl::StatusOr<std::unique_ptr<WeftServer>> Start(const ServerConfig& config);
  ~WeftServer();

  int grpc_port() const { return grpc_port_; }
  int http_port() const;
  std::string grpc_host() const { return grpc_host_; }
  int num_shards() const { return num_shards_; }

  // Stops accepting calls, ends long polls, lets in-flight calls finish (up to 5 s) and
  // closes storage. Idempotent.
  void Shutdown();
  // Blocks until Shutdown() ran.
  void Wait();

 private:
  WeftServer();
  // API keys, role grants, JWT keys, audit log, rate limits: the access-control chain.
  absl::Status StartSecurity();

  ServerConfig config_;
  int num_shards_ = 0;
  std::string grpc_host_;
  int grpc_port_ = 0;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<matching::MatchingEngine> matching_;
  std::unique_ptr<history::CircuitBreakerRegistry> breakers_;
  std::unique_ptr<history::HistoryEngine> history_;
  std::unique_ptr<scheduler::Scheduler> scheduler_;
  std::unique_ptr<frontend::NamespaceRegistry> namespaces_;
  std::unique_ptr<frontend::auth::ApiKeyStore> api_keys_;
  std::unique_ptr<frontend::auth::RoleStore> roles_;
  std::unique_ptr<frontend::auth::JwtKeySource> jwt_keys_;
  std::unique_ptr<frontend::auth::RateLimiter> rate_limiter_;
  std::unique_ptr<frontend::auth::AuditLog> audit_log_;
  std::unique_ptr<frontend::auth::AccessControl> access_;
  std::unique_ptr<frontend::WorkflowServiceHandler> handler_;
  std::unique_ptr<frontend::AdminServiceHandler> admin_handler_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<HttpServer> http_;
  bool shut_down_ = false;
};

}  // namespace app
}  // namespace weft

#endif  // WEFT_SERVER_APP_WEFT_SERVER_H_
