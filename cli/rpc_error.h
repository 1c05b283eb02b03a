// Turns a failed gRPC call into the one line a user of `weft` reads on stderr.
//
// The server's status message already names the object ("workflow \"x\" not found in
// namespace \"default\""), so it is kept and the code name appended; UNAVAILABLE and a
// missed deadline get a sentence of their own, since the server said nothing.
//
// Thread safety: pure functions, safe to call from any thread.
#ifndef WEFT_CLI_RPC_ERROR_H_
#define WEFT_CLI_RPC_ERROR_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace weft::cli {

// "NOT_FOUND", "UNAVAILABLE", ...; "CODE_N" for a value outside gRPC's list.
std::string GrpcCodeName(grpc::StatusCode code);

// An absl::Status with the same code as `status` and a message such as
//   workflow "x" not found in namespace "default" (NOT_FOUND)
//   cannot reach the server at 127.0.0.1:7233: failed to connect to all addresses
//   the server at 127.0.0.1:7233 did not answer within 30s (DEADLINE_EXCEEDED)
//   PERMISSION_DENIED: "bob" may not call StartWorkflowExecution in namespace "default" ...
// (PERMISSION_DENIED, UNAUTHENTICATED and RESOURCE_EXHAUSTED lead with the code.)
// `status` must not be OK; OK maps to absl::OkStatus().
absl::Status RpcErrorToStatus(const grpc::Status& status, absl::string_view address,
                              absl::Duration deadline);

}  // namespace weft::cli

#endif  // WEFT_CLI_RPC_ERROR_H_
