#include "metrics_exporter.h"

#include <httplib.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace weft {
namespace {

// The process-wide table: at most one exporter at a time.
struct Process {
  absl::Mutex mu;
  std::weak_ptr<MetricsExporter> current ABSL_GUARDED_BY(mu);
  std::string address ABSL_GUARDED_BY(mu);
  // Exporters not yet destroyed. A new one waits for the old one's port to be released.
  int live ABSL_GUARDED_BY(mu) = 0;
};

Process& TheProcess() {
  static Process* p = new Process();  // never destroyed: workers may outlive static teardown
  return *p;
}

}  // namespace

absl::StatusOr<std::shared_ptr<MetricsExporter>> MetricsExporter::Acquire(
    const std::string& address) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics address \"", address, "\" is not HOST:PORT (e.g. 127.0.0.1:9464, 0.0.0.0:0)"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }

  Process& p = TheProcess();
  absl::MutexLock lock(&p.mu);
  if (std::shared_ptr<MetricsExporter> running = p.current.lock()) {
    if (p.address == address) return running;
    return absl::FailedPreconditionError(absl::StrCat(
        "this process already serves worker metrics on ", p.address, " (port ", running->port(),
        "); every Worker of one process shares one endpoint: give them all the same "
        "metrics_address, not \"",
        address, "\""));
  }
  // The previous exporter's last holder may be destroying it right now: wait until its port
  // is released, so that a fixed port can be bound again.
  p.mu.Await(absl::Condition(
      +[](int* live) { return *live == 0; }, &p.live));

  std::unique_ptr<MetricsExporter> e(new MetricsExporter());
  e->address_ = address;
  e->host_ = host;
  e->registry_ = std::make_shared<prometheus::Registry>();
  e->server_ = std::make_unique<httplib::Server>();
  httplib::Server& svr = *e->server_;
  // cpp-httplib sets SO_REUSEPORT by default, which lets a second process bind the same port
  // and silently take half the scrapes. Only SO_REUSEADDR (quick rebinding after a restart).
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  MetricsExporter* self = e.get();
  svr.Get("/metrics", [self](const httplib::Request&, httplib::Response& res) {
    res.set_content(self->Serialize(), "text/plain; version=0.0.4");
  });
  svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  bool bound = false;
  if (port == 0) {
    int picked = svr.bind_to_any_port(host);
    bound = picked > 0;
    port = picked;
  } else {
    bound = svr.bind_to_port(host, port);
  }
  if (!bound) {
    return absl::UnavailableError(absl::StrCat("cannot listen for worker metrics on ", address,
                                               " (is the port in use, or the host not local?)"));
  }
  e->port_ = port;
  e->thread_ = std::thread([self] {
    self->server_->listen_after_bind();
    self->stopped_.Notify();
  });

  ++p.live;
  std::shared_ptr<MetricsExporter> shared(e.release(), [](MetricsExporter* dying) {
    delete dying;  // stops serving and releases the port
    Process& proc = TheProcess();
    absl::MutexLock l(&proc.mu);
    --proc.live;
  });
  p.current = shared;
  p.address = address;
  return shared;
}

MetricsExporter::~MetricsExporter() {
  if (thread_.joinable()) {
    // httplib's stop() does nothing until the listening thread has marked itself running, so
    // a stop right after the start could be lost: repeat it until the thread is out.
    do {
      server_->stop();
    } while (!stopped_.WaitForNotificationWithTimeout(absl::Milliseconds(20)));
    thread_.join();
  }
}

std::string MetricsExporter::bound_address() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return v6 ? absl::StrCat("[", host_, "]:", port_) : absl::StrCat(host_, ":", port_);
}

std::string MetricsExporter::Serialize() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(registry_->Collect());
}

}  // namespace weft
