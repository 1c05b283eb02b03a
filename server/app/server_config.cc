#include "server/app/server_config.h"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <set>

#include "absl/strings/str_cat.h"
#include "server/app/log_config.h"

namespace weft::app {
namespace {

// Settings that only make sense together.
absl::StatusOr<ServerConfig> Check(const ServerConfig& cfg) {
  if (cfg.tls_cert.empty() != cfg.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (!cfg.tls_client_ca.empty() && cfg.tls_cert.empty()) {
    return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  }
  if (cfg.rate_limit_namespace_rps < 0 || cfg.rate_limit_caller_rps < 0) {
    return absl::InvalidArgumentError("rate limits must be >= 0");
  }
  if (auto s = CheckLogLevelSpec(cfg.log_level); !s.ok()) return s;
  if (auto s = CheckLogFormat(cfg.log_format); !s.ok()) return s;
  if (cfg.insecure_no_auth && cfg.HasAuthSettings()) {
    return absl::InvalidArgumentError(
        "--insecure-no-auth contradicts --auth-jwt-secret-file, --auth-jwt-keys, "
        "--auth-bootstrap-admin-key-file and --tls-client-ca");
  }
  return cfg;
}

}  // namespace

bool ServerConfig::AuthEnabled() const {
  if (insecure_no_auth) return false;
  return !dev || HasAuthSettings();
}

absl::StatusOr<ServerConfig> ParseServerConfig(int argc, char** argv) {
  ServerConfig cfg;
  std::string config_file;
  CLI::App app{"weft-server: the weft durable-execution server (frontend, history, matching)"};
  app.add_option("--config", config_file, "YAML file with the same keys as the flags");
  app.add_flag("--dev", cfg.dev,
               "development mode: creates the 'default' namespace; data stays in --data-dir");
  app.add_option("--data-dir", cfg.data_dir, "RocksDB data directory")->capture_default_str();
  app.add_option("--grpc-address", cfg.grpc_address, "gRPC listen address (port 0: any free)")
      ->capture_default_str();
  app.add_option("--http-address", cfg.http_address,
                 "HTTP listen address for /metrics and /healthz (port 0: any free)")
      ->capture_default_str();
  app.add_option("--num-shards", cfg.num_shards,
                 "history shards; fixed when the data directory is created (default 16)")
      ->check(CLI::Range(1, 4096));
  app.add_option("--durability", cfg.durability,
                 "sync (default): fsync before acknowledging; async: for benchmarks only")
      ->check(CLI::IsMember({"sync", "async"}));
  app.add_option("--auth-jwt-secret-file", cfg.auth_jwt_secret_file,
                 "file with the HS256 secret JWTs are signed with (at least 32 bytes)");
  app.add_option("--auth-jwt-keys", cfg.auth_jwt_keys,
                 "PEM or JWKS file with the RS256/ES256 public keys JWTs are verified with");
  app.add_option("--auth-issuer", cfg.auth_issuer, "required JWT iss (default: not checked)");
  app.add_option("--auth-audience", cfg.auth_audience,
                 "JWT aud must contain this (default: not checked)");
  app.add_option("--auth-roles-claim", cfg.auth_roles_claim,
                 "JWT claim with the roles: admin or NAMESPACE:ROLE (dotted path allowed)")
      ->capture_default_str();
  app.add_option("--auth-bootstrap-admin-key-file", cfg.auth_bootstrap_admin_key_file,
                 "if this file does not exist, create an admin API key and write it there");
  app.add_flag("--insecure-no-auth", cfg.insecure_no_auth,
               "serve without authentication: anyone who can connect is admin");
  app.add_option("--tls-cert", cfg.tls_cert, "PEM certificate chain for gRPC over TLS");
  app.add_option("--tls-key", cfg.tls_key, "PEM private key for --tls-cert");
  app.add_option("--tls-client-ca", cfg.tls_client_ca,
                 "PEM CA bundle: require client certificates signed by it (mTLS)");
  app.add_option("--audit-log", cfg.audit_log,
                 "append a JSON line per write and per denied call to this file");
  app.add_option("--rate-limit-namespace-rps", cfg.rate_limit_namespace_rps,
                 "calls per second per namespace (0: unlimited)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--rate-limit-caller-rps", cfg.rate_limit_caller_rps,
                 "calls per second per caller (0: unlimited)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--log-level", cfg.log_level,
                 "log levels: LEVEL or LEVEL,COMPONENT=LEVEL,... (trace, debug, info, warn, "
                 "error, off; components: app, auth, frontend, history, matching, scheduler, "
                 "storage)")
      ->capture_default_str();
  app.add_option("--log-format", cfg.log_format,
                 "json (one object a line on stderr) or text (human-readable lines)")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return absl::CancelledError(app.help());
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  if (config_file.empty()) return Check(cfg);

  YAML::Node root;
  try {
    root = YAML::LoadFile(config_file);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config file ", config_file, ": ", e.what()));
  }
  if (!root.IsMap() && !root.IsNull()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config file ", config_file, ": expected a mapping of keys to values"));
  }
  static const std::set<std::string> kKeys = {"dev",
                                              "data-dir",
                                              "grpc-address",
                                              "http-address",
                                              "num-shards",
                                              "durability",
                                              "auth-jwt-secret-file",
                                              "auth-jwt-keys",
                                              "auth-issuer",
                                              "auth-audience",
                                              "auth-roles-claim",
                                              "auth-bootstrap-admin-key-file",
                                              "insecure-no-auth",
                                              "tls-cert",
                                              "tls-key",
                                              "tls-client-ca",
                                              "audit-log",
                                              "rate-limit-namespace-rps",
                                              "rate-limit-caller-rps",
                                              "log-level",
                                              "log-format"};
  try {
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>();
      if (!kKeys.contains(key)) {
        return absl::InvalidArgumentError(
            absl::StrCat("config file ", config_file, ": unknown key '", key, "'"));
      }
      if (app.count("--" + key) > 0) continue;  // the command line wins
      if (key == "dev") cfg.dev = kv.second.as<bool>();
      if (key == "data-dir") cfg.data_dir = kv.second.as<std::string>();
      if (key == "grpc-address") cfg.grpc_address = kv.second.as<std::string>();
      if (key == "http-address") cfg.http_address = kv.second.as<std::string>();
      if (key == "num-shards") cfg.num_shards = kv.second.as<int>();
      if (key == "durability") cfg.durability = kv.second.as<std::string>();
      if (key == "auth-jwt-secret-file") cfg.auth_jwt_secret_file = kv.second.as<std::string>();
      if (key == "auth-jwt-keys") cfg.auth_jwt_keys = kv.second.as<std::string>();
      if (key == "auth-issuer") cfg.auth_issuer = kv.second.as<std::string>();
      if (key == "auth-audience") cfg.auth_audience = kv.second.as<std::string>();
      if (key == "auth-roles-claim") cfg.auth_roles_claim = kv.second.as<std::string>();
      if (key == "insecure-no-auth") cfg.insecure_no_auth = kv.second.as<bool>();
      if (key == "auth-bootstrap-admin-key-file") {
        cfg.auth_bootstrap_admin_key_file = kv.second.as<std::string>();
      }
      if (key == "tls-cert") cfg.tls_cert = kv.second.as<std::string>();
      if (key == "tls-key") cfg.tls_key = kv.second.as<std::string>();
      if (key == "tls-client-ca") cfg.tls_client_ca = kv.second.as<std::string>();
      if (key == "audit-log") cfg.audit_log = kv.second.as<std::string>();
      if (key == "rate-limit-namespace-rps") {
        cfg.rate_limit_namespace_rps = kv.second.as<double>();
      }
      if (key == "rate-limit-caller-rps") cfg.rate_limit_caller_rps = kv.second.as<double>();
      if (key == "log-level") cfg.log_level = kv.second.as<std::string>();
      if (key == "log-format") cfg.log_format = kv.second.as<std::string>();
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config file ", config_file, ": ", e.what()));
  }
  if (cfg.num_shards < 0 || cfg.num_shards > 4096) {
    return absl::InvalidArgumentError("num-shards must be between 1 and 4096");
  }
  if (cfg.durability != "sync" && cfg.durability != "async") {
    return absl::InvalidArgumentError("durability must be 'sync' or 'async'");
  }
  return Check(cfg);
}

}  // namespace weft::app
