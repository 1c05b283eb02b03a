// ServerConfig: weft-server's settings, from flags and an optional YAML file with the same
// keys (`--config FILE`; flags given on the command line win over the file).
//
//   dev: true
//   data-dir: ./weft-data
//   grpc-address: 127.0.0.1:7233
//   http-address: 127.0.0.1:7234
//   num-shards: 16
//   durability: sync
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
};

// Parses argv. On --help, returns a status of kCancelled whose message is the help text.
absl::StatusOr<ServerConfig> ParseServerConfig(int argc, char** argv);

}  // namespace weft::app

#endif  // WEFT_SERVER_APP_SERVER_CONFIG_H_
