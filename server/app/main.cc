// weft-server: runs frontend, history and matching in one process over one RocksDB.
#include <signal.h>

#include <iostream>

#include "absl/synchronization/mutex.h"
#include "server/app/server_config.h"
#include "server/app/weft_server.h"

int main(int argc, char** argv) {
  // Debian's Abseil checks every absl::Mutex acquisition for lock-order cycles (gRPC uses
  // them on every call); that costs a few percent of CPU and finds nothing in production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto config = weft::app::ParseServerConfig(argc, argv);
  if (!config.ok()) {
    if (absl::IsCancelled(config.status())) {
      std::cout << config.status().message();
      return 0;
    }
    std::cerr << "weft-server: " << config.status().message() << "\n";
    return 2;
  }
  // Block the shutdown signals in every thread; one thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (config->durability == "async") {
    std::cerr << "weft-server: WARNING: --durability=async: acknowledged steps may be lost in "
                 "a crash. For benchmarks only.\n";
  }
  if (config->dev && !config->AuthEnabled()) {
    std::cerr << "weft-server: dev mode: authentication is off; data in " << config->data_dir
              << "\n";
  } else if (config->insecure_no_auth) {
    std::cerr << "weft-server: WARNING: --insecure-no-auth: authentication is off; anyone who "
                 "can connect is admin\n";
  } else if (config->dev) {
    std::cerr << "weft-server: dev mode with authentication on; data in " << config->data_dir
              << "\n";
  }
  auto server = weft::app::WeftServer::Start(*config);
  if (!server.ok()) {
    std::cerr << "weft-server: " << server.status().message() << "\n";
    return 1;
  }
  std::cout << "weft-server ready grpc=" << (*server)->grpc_host() << ":" << (*server)->grpc_port()
            << " http=" << config->http_address.substr(0, config->http_address.rfind(':')) << ":"
            << (*server)->http_port() << " shards=" << (*server)->num_shards() << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  std::cerr << "weft-server: signal " << sig << ", shutting down\n";
  (*server)->Shutdown();
  std::cerr << "weft-server: stopped\n";
  return 0;
}
