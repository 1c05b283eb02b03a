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
    client_ =
        std::make_unique<ServiceClient>(ServiceClient::Connect(options_.address), options_.address);
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
