#include "tests/support/in_process_server.h"

namespace weft::testing {

absl::StatusOr<std::unique_ptr<app::WeftServer>> StartDevServer(const std::string& data_dir,
                                                                const ServerConfigTweak& tweak) {
  app::ServerConfig cfg;
  cfg.dev = true;
  cfg.data_dir = data_dir;
  cfg.grpc_address = "127.0.0.1:0";
  cfg.http_address = "127.0.0.1:0";
  if (tweak) tweak(cfg);
  return app::WeftServer::Start(cfg);
}

std::string GrpcAddress(const app::WeftServer& server) {
  return "127.0.0.1:" + std::to_string(server.grpc_port());
}

absl::StatusOr<std::unique_ptr<Client>> ConnectClient(const app::WeftServer& server,
                                                      const std::string& ns) {
  ClientOptions options{.address = GrpcAddress(server)};
  if (!ns.empty()) options.ns = ns;
  return Client::Connect(std::move(options));
}

void InProcessServerTest::SetUp() {
  auto s = StartDevServer(dir_.path());
  ASSERT_TRUE(s.ok()) << s.status();
  server_ = std::move(*s);
  auto client = ConnectClient(*server_);
  ASSERT_TRUE(client.ok()) << client.status();
  client_ = std::move(*client);
}

void InProcessServerTest::TearDown() {
  for (auto& w : workers_) w->Shutdown();
  workers_.clear();
  client_.reset();
  if (server_) server_->Shutdown();
}

}  // namespace weft::testing
