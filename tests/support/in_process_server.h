// The dev weft server the integration tests run in-process: StartDevServer starts
// app::WeftServer with dev=true on `data_dir` (real RocksDB) and gRPC and HTTP on 127.0.0.1
// ports the OS picks, after an optional tweak of the config; starting it again on the same
// directory after Shutdown() is a restart. GrpcAddress and ConnectClient reach it over
// loopback.
//
// InProcessServerTest is the gtest fixture most integration suites share: SetUp starts the
// dev server on a fresh TempDir and connects `client_`; TearDown shuts down `workers_`, then
// the client, then the server. Used from the test thread only.
//
// Thread safety: free functions without shared state. Ownership: the caller owns the server
// and the client it gets, and shuts the server down (WeftServer::Shutdown) after destroying
// its workers and clients. Links weft_server_lib and weft_sdk, so it is compiled into
// integration_test only (weft_test_support, which e2e_test links, stays free of server code).
#ifndef WEFT_TESTS_SUPPORT_IN_PROCESS_SERVER_H_
#define WEFT_TESTS_SUPPORT_IN_PROCESS_SERVER_H_

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/app/server_config.h"
#include "server/app/weft_server.h"
#include "tests/support/temp_dir.h"
#include "weft/client.h"
#include "weft/worker.h"

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

class InProcessServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  TempDir dir_;
  std::unique_ptr<app::WeftServer> server_;
  std::unique_ptr<Client> client_;
  std::vector<std::unique_ptr<Worker>> workers_;  // shut down first in TearDown
};

}  // namespace weft::testing

#endif  // WEFT_TESTS_SUPPORT_IN_PROCESS_SERVER_H_
