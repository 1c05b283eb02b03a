// weft-server: runs frontend, history and matching in one process over one RocksDB.
//
// Logs go to stderr through telemetry::Logger (JSON lines, or text with --log-format text);
// stdout carries only the `weft-server ready grpc=HOST:PORT http=HOST:PORT shards=N` line that
// scripts and tests wait for.
#include <signal.h>

#include <cstring>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/app/log_config.h"
#include "server/app/server_config.h"
#include "server/app/weft_server.h"
#include "server/common/logging.h"
#include "telemetry/log.h"

namespace {

// The format asked for on the command line, for the message that the configuration itself
// is wrong (the parsed configuration is not there to ask).
weft::telemetry::LogFormat RequestedFormat(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if ((std::strcmp(argv[i], "--log-format") == 0 && i + 1 < argc &&
         std::strcmp(argv[i + 1], "text") == 0) ||
        std::strcmp(argv[i], "--log-format=text") == 0) {
      return weft::telemetry::LogFormat::kText;
    }
  }
  return weft::telemetry::LogFormat::kJson;
}

}  // namespace

int main(int argc, char** argv) {
  using weft::logs::App;
  // Debian's Abseil checks every absl::Mutex acquisition for lock-order cycles (gRPC uses
  // them on every call); that costs a few percent of CPU and finds nothing in production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto config = weft::app::ParseServerConfig(argc, argv);
  if (!config.ok()) {
    if (absl::IsCancelled(config.status())) {
      std::cout << config.status().message();
      return 0;
    }
    weft::telemetry::LogRegistry::SetFormat(RequestedFormat(argc, argv));
    App().Error(absl::StrCat("invalid configuration: ", config.status().message()));
    return 2;
  }
  if (auto s = weft::app::ApplyLogConfig(config->log_level, config->log_format); !s.ok()) {
    App().Error(absl::StrCat("invalid configuration: ", s.message()));
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
    App().Warn(
        "--durability=async: acknowledged steps may be lost in a crash; for benchmarks "
        "only");
  }
  if (config->dev && !config->AuthEnabled()) {
    App().Info("dev mode: authentication is off", {{"data_dir", config->data_dir}});
  } else if (config->insecure_no_auth) {
    App().Warn("--insecure-no-auth: authentication is off; anyone who can connect is admin");
  } else if (config->dev) {
    App().Info("dev mode with authentication on", {{"data_dir", config->data_dir}});
  }
  auto server = weft::app::WeftServer::Start(*config);
  if (!server.ok()) {
    App().Error(absl::StrCat("cannot start: ", server.status().message()),
                {{"code", absl::StatusCodeToString(server.status().code())}});
    return 1;
  }
  std::string grpc = absl::StrCat((*server)->grpc_host(), ":", (*server)->grpc_port());
  std::string http = absl::StrCat(config->http_address.substr(0, config->http_address.rfind(':')),
                                  ":", (*server)->http_port());
  App().Info("server started", {{"grpc_address", grpc},
                                {"http_address", http},
                                {"data_dir", config->data_dir},
                                {"shards", (*server)->num_shards()},
                                {"auth", config->AuthEnabled()},
                                {"tls", !config->tls_cert.empty()},
                                {"durability", config->durability}});
  std::cout << "weft-server ready grpc=" << grpc << " http=" << http
            << " shards=" << (*server)->num_shards() << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  App().Info("shutting down", {{"signal", strsignal(sig)}});
  (*server)->Shutdown();
  App().Info("server stopped");
  return 0;
}
