// ServerConfig: weft-server's settings, from flags and an optional YAML file with the same
// keys (`--config FILE`; flags given on the command line win over the file).
//
//   dev: true
//   data-dir: ./weft-data
//   grpc-address: 127.0.0.1:7233
//   http-address: 127.0.0.1:7234
//   num-shards: 16
//   durability: sync
//   auth-jwt-secret-file: /etc/weft/jwt-secret     # HS256
//   auth-jwt-keys: /etc/weft/jwks.json              # RS256/ES256: PEM or JWKS
//   auth-issuer: https://idp.example.com
//   auth-audience: weft
//   auth-roles-claim: roles
//   auth-bootstrap-admin-key-file: /etc/weft/admin.key  # an admin API key, made once
//   tls-cert: /etc/weft/server.pem
//   tls-key: /etc/weft/server.key
//   tls-client-ca: /etc/weft/clients-ca.pem         # mTLS
//   audit-log: /var/log/weft/audit.jsonl
//   rate-limit-namespace-rps: 500
//   rate-limit-caller-rps: 100
//   log-level: info,history=debug                   # see log_config.h
//   log-format: json                                # or text
//
// Authentication is on unless --dev (and no auth-* key) or --insecure-no-auth is given; a
// start with authentication on but no way to authenticate (no JWT keys, no client CA) is
// refused.
//
// Thread safety: a plain value.
#ifndef WEFT_SERVER_APP_SERVER_CONFIG_H_
#define WEFT_SERVER_APP_SERVER_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"

namespace weft::app {

struct ServerConfig {
  bool dev = false;
  std::string data_dir = "./weft-data";
  std::string grpc_address = "127.0.0.1:7233";
  std::string http_address = "127.0.0.1:7234";
  // 0: keep the data directory's shard count, or 16 for a new directory.
  int num_shards = 0;
  // "sync" (every acknowledged step is fsynced) or "async" (benchmarks only).
  std::string durability = "sync";

  // Security (DESIGN.md section 8).
  std::string auth_jwt_secret_file;  // HS256 shared secret
  std::string auth_jwt_keys;         // PEM or JWKS public keys (RS256, ES256)
  std::string auth_issuer;           // empty: not checked
  std::string auth_audience;         // empty: not checked
  std::string auth_roles_claim = "roles";
  bool insecure_no_auth = false;
  // When this file does not exist at start, an admin API key is created and its secret
  // written here (mode 0600): the first credential of a deployment without a JWT issuer.
  std::string auth_bootstrap_admin_key_file;
  std::string tls_cert;       // PEM certificate chain; with tls_key, gRPC is served over TLS
  std::string tls_key;        // PEM private key
  std::string tls_client_ca;  // PEM CA: clients must present a certificate it signed (mTLS)
  std::string audit_log;      // JSON lines file; empty: no audit log
  double rate_limit_namespace_rps = 0;  // 0: unlimited
  double rate_limit_caller_rps = 0;     // 0: unlimited

  // Logs (log_config.h): "info" or "info,history=debug"; "json" or "text".
  std::string log_level = "info";
  std::string log_format = "json";

  // Whether calls must authenticate: not in --dev without auth settings, not with
  // --insecure-no-auth.
  bool AuthEnabled() const;
  bool HasAuthSettings() const {
    return !auth_jwt_secret_file.empty() || !auth_jwt_keys.empty() || !tls_client_ca.empty() ||
           !auth_bootstrap_admin_key_file.empty();
  }
};

// Parses argv. On --help, returns a status of kCancelled whose message is the help text.
absl::StatusOr<ServerConfig> ParseServerConfig(int argc, char** argv);

}  // namespace weft::app

#endif  // WEFT_SERVER_APP_SERVER_CONFIG_H_
