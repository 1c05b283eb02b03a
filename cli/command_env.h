// What a `weft` subcommand runs with: the global options, the output streams and a lazily
// connected ServiceClient, plus the helpers that keep output and errors uniform.
//
// Thread safety: not thread-safe; one CommandEnv serves one command invocation.
// Ownership: does not own the streams, which must outlive it; owns the client.
#ifndef WEFT_CLI_COMMAND_ENV_H_
#define WEFT_CLI_COMMAND_ENV_H_

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/service_client.h"
#include "google/protobuf/message.h"

namespace weft::cli {

// The options every command accepts (set before or after the subcommand name).
struct GlobalOptions {
  std::string address = "127.0.0.1:7233";
  std::string ns = "default";
  std::string output = "text";  // "text" or "json"
  // Credentials and TLS (see ConnectionOptions).
  std::string token;
  std::string api_key;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
};

class CommandEnv {
 public:
  CommandEnv(GlobalOptions options, std::ostream& out, std::ostream& err);

  CommandEnv(const CommandEnv&) = delete;
  CommandEnv& operator=(const CommandEnv&) = delete;

  const GlobalOptions& options() const { return options_; }
  bool json() const { return options_.output == "json"; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

  // The client for --address, created on first use (creating it does not connect). If the
  // connection options are unusable (an unreadable TLS file), every call fails saying so.
  const ServiceClient& client();

  // Who is calling, for the requests' identity fields: "weft-cli@<hostname>".
  const std::string& identity() const { return identity_; }

  // Prints "weft: <message>" on stderr and returns kExitError.
  int Fail(const absl::Status& status);

  // Prints `message` as protobuf JSON and a newline on stdout; returns kExitOk, or Fail()s.
  int PrintJson(const google::protobuf::Message& message);

 private:
  const GlobalOptions options_;
  std::ostream& out_;
  std::ostream& err_;
  const std::string identity_;
  std::unique_ptr<ServiceClient> client_;  // null until client() is first called
};

// Parses the value of a duration flag, naming the flag in the error:
// `--timeout: invalid duration "5x": ...`.
absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view flag, absl::string_view text);

}  // namespace weft::cli

#endif  // WEFT_CLI_COMMAND_ENV_H_
