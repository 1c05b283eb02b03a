#include "server/app/weft_server.h"

#include <fcntl.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "server/app/http_server.h"
#include "server/app/runtime_metrics.h"
#include "server/common/clock.h"
#include "server/common/logging.h"
#include "server/common/metrics.h"
#include "server/common/proto_time.h"
#include "server/frontend/admin_service_handler.h"
#include "server/frontend/auth/access_control.h"
#include "server/frontend/namespace_registry.h"
#include "server/frontend/workflow_service_handler.h"
#include "server/history/circuit_breaker_registry.h"
#include "server/history/history_engine.h"
#include "server/matching/matching_engine.h"
#include "server/scheduler/scheduler.h"
#include "storage/store.h"

namespace weft::app {
namespace {

constexpr int kDefaultShards = 16;
constexpr char kClusterKey[] = "cluster";
// A request may carry at most 4 MB (payloads are limited to 2 MB each by validation);
// responses (history pages) may be larger.
constexpr int kMaxRequestBytes = 4 * 1024 * 1024;
constexpr int kMaxResponseBytes = 64 * 1024 * 1024;

// Fixes the shard count the first time a data directory is used and refuses a different one
// later: workflows are placed by hash modulo the shard count.
absl::StatusOr<int> ResolveShards(storage::Store& store, const Clock& clock, int requested,
                                  const std::string& dir) {
  auto raw = store.Get(storage::Cf::kMeta, kClusterKey);
  if (raw.ok()) {
    internal::ClusterInfo info;
    if (!info.ParseFromString(*raw)) return absl::DataLossError("corrupt cluster record");
    if (requested != 0 && requested != info.num_shards()) {
      return absl::FailedPreconditionError(
          absl::StrCat("data directory ", dir, " was created with --num-shards=", info.num_shards(),
                       "; the shard count cannot change (got --num-shards=", requested,
                       "). Drop the flag or use a new --data-dir."));
    }
    return info.num_shards();
  }
  if (!absl::IsNotFound(raw.status())) return raw.status();
  internal::ClusterInfo info;
  info.set_num_shards(requested == 0 ? kDefaultShards : requested);
  *info.mutable_create_time() = ToProto(clock.Now());
  if (auto s = store.Put(storage::Cf::kMeta, kClusterKey, info.SerializeAsString()); !s.ok()) {
    return s;
  }
  return info.num_shards();
}

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read ", flag, " ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Insecure unless --tls-cert/--tls-key; with --tls-client-ca, clients must present a
// certificate that CA signed.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const ServerConfig& config) {
  if (config.tls_cert.empty()) return grpc::InsecureServerCredentials();
  auto cert = ReadPem(config.tls_cert, "--tls-cert");
  if (!cert.ok()) return cert.status();
  auto key = ReadPem(config.tls_key, "--tls-key");
  if (!key.ok()) return key.status();
  // gRPC would only say it cannot listen; say what is wrong with the files.
  if (auto s = HttpServer::CheckTls({config.tls_cert, config.tls_key}); !s.ok()) return s;
  grpc::SslServerCredentialsOptions opts(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  opts.pem_key_cert_pairs.push_back({*key, *cert});
  if (!config.tls_client_ca.empty()) {
    auto ca = ReadPem(config.tls_client_ca, "--tls-client-ca");
    if (!ca.ok()) return ca.status();
    opts.pem_root_certs = *ca;
    opts.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(opts);
}

// Creates an admin API key and writes it to `path` unless that file exists: the first
// credential of a deployment that has no JWT issuer. The file is created exclusively, 0600.
absl::Status WriteBootstrapKey(frontend::auth::ApiKeyStore& keys, const std::string& path) {
  if (std::filesystem::exists(path)) return absl::OkStatus();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create --auth-bootstrap-admin-key-file ", path, ": ", std::strerror(errno)));
  }
  auto key =
      keys.Create("bootstrap", {{"", frontend::auth::Role::kAdmin}}, std::nullopt, "weft-server");
  std::string text = key.ok() ? key->secret + "\n" : "";
  bool written =
      key.ok() && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());
    if (key.ok()) (void)keys.Revoke(key->record.id());
    return key.ok() ? absl::InternalError(absl::StrCat("cannot write ", path)) : key.status();
  }
  logs::App().Info("wrote a new admin API key", {{"key_id", key->record.id()}, {"path", path}});
  return absl::OkStatus();
}

}  // namespace

WeftServer::WeftServer() = default;

WeftServer::~WeftServer() { Shutdown(); }

int WeftServer::http_port() const { return http_ ? http_->port() : 0; }

absl::StatusOr<std::unique_ptr<WeftServer>> WeftServer::Start(const ServerConfig& config) {
  std::unique_ptr<WeftServer> s(new WeftServer());
  s->config_ = config;
  s->clock_ = std::make_unique<SystemClock>();
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data directory ", config.data_dir, ": ", ec.message()));
  }
  auto store = storage::Store::Open(config.data_dir, config.durability == "async"
                                                         ? storage::Durability::kAsync
                                                         : storage::Durability::kSync);
  if (!store.ok()) return store.status();
  s->store_ = std::move(*store);
  auto shards = ResolveShards(*s->store_, *s->clock_, config.num_shards, config.data_dir);
  if (!shards.ok()) return shards.status();
  s->num_shards_ = *shards;

  s->metrics_ = std::make_unique<Metrics>();
  s->matching_ = std::make_unique<matching::MatchingEngine>(s->store_.get(), s->metrics_.get(),
                                                            s->clock_.get());
  if (auto st = s->matching_->Recover(); !st.ok()) return st;
  // Circuit breakers: operator overrides and every namespace's config are in place before
  // history's timers fire (held attempts ask their breakers again).
  s->breakers_ = std::make_unique<history::CircuitBreakerRegistry>(s->store_.get(), s->clock_.get(),
                                                                   s->metrics_.get());
  if (auto st = s->breakers_->Load(); !st.ok()) return st;
  s->namespaces_ = std::make_unique<frontend::NamespaceRegistry>(s->store_.get(), s->clock_.get());
  if (auto st = s->namespaces_->Load(); !st.ok()) return st;
  s->namespaces_->SetListener([b = s->breakers_.get()](const internal::NamespaceRecord& r) {
    b->ConfigureNamespace(r.id(), r.name(), r.circuit_breaker_config());
  });
  history::HistoryEngine::Options hopts;
  hopts.num_shards = s->num_shards_;
  hopts.circuit_breakers = s->breakers_.get();
  s->history_ = std::make_unique<history::HistoryEngine>(s->store_.get(), s->matching_.get(),
                                                         s->clock_.get(), s->metrics_.get(), hopts);
  // Closed runs are deleted after their namespace's retention period (default 72h).
  s->history_->SetRetentionLookup(
      [registry = s->namespaces_.get()](const std::string& name) -> absl::Duration {
        auto ns = registry->Get(name);
        if (!ns.ok()) return absl::ZeroDuration();  // unknown namespace: keep the run
        absl::Duration d = absl::Seconds(ns->retention().seconds());
        return d > absl::ZeroDuration() ? d : absl::Hours(72);
      });
  if (auto st = s->history_->Start(); !st.ok()) return st;
  // Children and external workflows in another namespace are found by name.
  s->history_->SetNamespaceResolver(
      [registry =
           s->namespaces_.get()](const std::string& name) -> absl::StatusOr<history::NamespaceRef> {
        auto ns = registry->Get(name);
        if (!ns.ok()) return ns.status();
        return history::NamespaceRef{ns->id(), ns->name()};
      });
  if (config.dev && absl::IsNotFound(s->namespaces_->Get("default").status())) {
    internal::NamespaceRecord r;
    r.set_name("default");
    r.set_description("created by weft-server --dev");
    if (auto st = s->namespaces_->Register(r); !st.ok()) return st;
  }
  if (auto st = s->StartSecurity(); !st.ok()) return st;
  s->handler_ = std::make_unique<frontend::WorkflowServiceHandler>(
      s->namespaces_.get(), s->history_.get(), s->matching_.get(), s->clock_.get(),
      s->metrics_.get(), s->access_.get());
  // Schedules start workflows through history; the runner starts once history runs.
  s->scheduler_ =
      std::make_unique<scheduler::Scheduler>(s->store_.get(), s->history_.get(), s->clock_.get(),
                                             s->metrics_.get(), scheduler::Scheduler::Options{});
  if (auto st = s->scheduler_->Load(); !st.ok()) return st;
  s->scheduler_->Start();
  s->handler_->SetScheduler(s->scheduler_.get());
  s->admin_handler_ = std::make_unique<frontend::AdminServiceHandler>(
      s->access_.get(), s->api_keys_.get(), s->roles_.get(), s->audit_log_.get(),
      s->metrics_.get());
  s->admin_handler_->SetCircuitBreakers(s->breakers_.get());
  s->admin_handler_->SetNamespaces(s->namespaces_.get());
  auto credentials = ServerCredentials(config);
  if (!credentials.ok()) return credentials.status();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Two servers must never share a port by accident.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
  builder.SetMaxSendMessageSize(kMaxResponseBytes);
  builder.AddListeningPort(config.grpc_address, *credentials, &s->grpc_port_);
  builder.RegisterService(s->handler_.get());
  builder.RegisterService(s->admin_handler_.get());
  s->grpc_server_ = builder.BuildAndStart();
  if (!s->grpc_server_ || s->grpc_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", config.grpc_address, " (is the port in use?)"));
  }
  s->grpc_host_ = config.grpc_address.substr(0, config.grpc_address.rfind(':'));
  // With --tls-cert/--tls-key the HTTP port serves HTTPS too, with the same files.
  HttpServer::Tls http_tls{config.tls_cert, config.tls_key};
  auto http = HttpServer::Start(
      config.http_address,
      {s->metrics_->registry(), std::make_shared<RuntimeMetrics>(s->store_.get())},
      config.tls_cert.empty() ? nullptr : &http_tls);
  if (!http.ok()) return http.status();
  s->http_ = std::move(*http);
  s->http_->SetReady(true);
  return s;
}

absl::Status WeftServer::StartSecurity() {
  namespace auth = frontend::auth;
  api_keys_ = std::make_unique<auth::ApiKeyStore>(store_.get(), clock_.get());
  if (auto st = api_keys_->Load(); !st.ok()) return st;
  roles_ = std::make_unique<auth::RoleStore>(store_.get());
  if (auto st = roles_->Load(); !st.ok()) return st;
  const bool enabled = config_.AuthEnabled();
  if (enabled && !config_.HasAuthSettings()) {
    return absl::FailedPreconditionError(
        "no way to authenticate callers is configured: give --auth-jwt-secret-file, "
        "--auth-jwt-keys, --auth-bootstrap-admin-key-file or --tls-client-ca (see README, "
        "\"Securing weft\"), or --insecure-no-auth to serve without authentication");
  }
  if (!config_.auth_bootstrap_admin_key_file.empty()) {
    if (auto st = WriteBootstrapKey(*api_keys_, config_.auth_bootstrap_admin_key_file); !st.ok()) {
      return st;
    }
  }
  if (!config_.auth_jwt_secret_file.empty() || !config_.auth_jwt_keys.empty()) {
    auto keys =
        auth::JwtKeyFiles::Load(config_.auth_jwt_secret_file, config_.auth_jwt_keys, clock_.get());
    if (!keys.ok()) return keys.status();
    jwt_keys_ = std::move(*keys);
  }
  if (!config_.audit_log.empty()) {
    auto log = auth::AuditLog::Open(config_.audit_log);
    if (!log.ok()) return log.status();
    audit_log_ = std::move(*log);
  }
  rate_limiter_ = std::make_unique<auth::RateLimiter>(
      auth::RateLimitOptions{.namespace_rps = config_.rate_limit_namespace_rps,
                             .caller_rps = config_.rate_limit_caller_rps},
      clock_.get());
  auth::AccessControlOptions opts;
  opts.enabled = enabled;
  opts.jwt.issuer = config_.auth_issuer;
  opts.jwt.audience = config_.auth_audience;
  opts.jwt.roles_claim = config_.auth_roles_claim;
  opts.accept_client_certificates = !config_.tls_client_ca.empty();
  access_ =
      std::make_unique<auth::AccessControl>(opts, jwt_keys_.get(), api_keys_.get(), roles_.get(),
                                            rate_limiter_.get(), audit_log_.get(), clock_.get());
  return absl::OkStatus();
}

void WeftServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (http_) http_->SetReady(false);
  // Drain in dependency order: no new polls; long polls return what they have; the queue
  // processors stop (their hand-offs still find pollers); pollers are released; then gRPC
  // waits for the calls in flight.
  if (handler_) handler_->BeginShutdown();
  if (scheduler_) scheduler_->Stop();  // no new starts while history drains
  if (history_) history_->BeginShutdown();
  if (history_) history_->Stop();
  if (matching_) matching_->Shutdown();
  if (grpc_server_) {
    grpc_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  http_.reset();
  grpc_server_.reset();
  admin_handler_.reset();
  handler_.reset();
  scheduler_.reset();
  access_.reset();
  audit_log_.reset();
  history_.reset();
  breakers_.reset();
  matching_.reset();
  namespaces_.reset();
  store_.reset();
}

void WeftServer::Wait() {
  if (grpc_server_) grpc_server_->Wait();
}

}  // namespace weft::app
