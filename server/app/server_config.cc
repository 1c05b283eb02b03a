#include "server/app/server_config.h"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <set>

#include "absl/strings/str_cat.h"

namespace weft::app {

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
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return absl::CancelledError(app.help());
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  if (config_file.empty()) return cfg;

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
  static const std::set<std::string> kKeys = {"dev",          "data-dir",   "grpc-address",
                                              "http-address", "num-shards", "durability"};
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
  return cfg;
}

}  // namespace weft::app
