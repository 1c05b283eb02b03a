#include "cli/command_env.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/duration.h"
#include "cli/exit_codes.h"
#include "cli/output_format.h"

namespace weft::cli {
namespace {

std::string MakeIdentity() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "weft-cli";
  return absl::StrCat("weft-cli@", host);
}

}  // namespace

CommandEnv::CommandEnv(GlobalOptions options, std::ostream& out, std::ostream& err)
    : options_(std::move(options)), out_(out), err_(err), identity_(MakeIdentity()) {}

const ServiceClient& CommandEnv::client() {
  if (client_ == nullptr) {
    ConnectionOptions c;
    c.address = options_.address;
    c.token = options_.token;
    c.api_key = options_.api_key;
    c.tls_ca = options_.tls_ca;
    c.tls_cert = options_.tls_cert;
    c.tls_key = options_.tls_key;
    auto opened = ServiceClient::Open(c);
    if (opened.ok()) {
      client_ = std::move(*opened);
    } else {
      // Report the problem on the first call: every command already handles call errors.
      client_ = std::make_unique<ServiceClient>(opened.status(), c.address);
    }
  }
  return *client_;
}

int CommandEnv::Fail(const absl::Status& status) {
  err_ << "weft: " << status.message() << "\n";
  err_.flush();
  return kExitError;
}

int CommandEnv::PrintJson(const google::protobuf::Message& message) {
  absl::StatusOr<std::string> json = ProtoToJson(message);
  if (!json.ok()) return Fail(json.status());
  out_ << *json << "\n";
  return kExitOk;
}

absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view flag, absl::string_view text) {
  absl::StatusOr<absl::Duration> d = ParseDuration(text);
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat(flag, ": ", d.status().message()));
  return d;
}

}  // namespace weft::cli
