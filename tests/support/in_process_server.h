// The dev weft server the integration tests run in-process: StartDevServer starts
// app::WeftServer with dev=true on `data_dir` (real RocksDB) and gRPC and HTTP on 127.0.0.1
// ports the OS picks, after an optional tweak of the config; starting it again on the same
// directory after Shutdown() is a restart. GrpcAddress and ConnectClient reach it over
// loopback.
//
// Thread safety: free functions without shared state. Ownership: the caller owns the server
// and the client it gets, and shuts the server down (WeftServer::Shutdown) after destroying
// its workers and clients. Links weft_server_lib and weft_sdk, so it is compiled into
// integration_test only (weft_test_support, which e2e_test links, stays free of server code).
#ifndef WEFT_TESTS_SUPPORT_IN_PROCESS_SERVER_H_
#define WEFT_TESTS_SUPPORT_IN_PROCESS_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/app/server_config.h"
#include "server/app/weft_server.h"
#include "weft/client.h"

namespace weft::testing {

// Changes the dev config before the server starts (e.g. num_shards).
using ServerConfigTweak = std::function<void(app::ServerConfig&)>;

absl::StatusOr<std::unique_ptr<app::WeftServer>> StartDevServer(
    const std::string& data_dir, const ServerConfigTweak& tweak = nullptr);

// "127.0.0.1:<grpc port>" of a started server.
std::string GrpcAddress(const app::WeftServer& server);

// A weft::Client for `server`, in namespace `ns` (empty = the client's default).
absl::StatusOr<std::unique_ptr<Client>> ConnectClient(const app::WeftServer& server,
                                                      const std::string& ns = "");

}  // namespace weft::testing

#endif  // WEFT_TESTS_SUPPORT_IN_PROCESS_SERVER_H_
