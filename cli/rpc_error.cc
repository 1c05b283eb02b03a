#include "cli/rpc_error.h"

#include "absl/strings/str_cat.h"
#include "cli/duration.h"

namespace weft::cli {

std::string GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return absl::StrCat("CODE_", static_cast<int>(code));
  }
}

absl::Status RpcErrorToStatus(const grpc::Status& status, absl::string_view address,
                              absl::Duration deadline) {
  if (status.ok()) return absl::OkStatus();
  // gRPC and absl share the canonical code numbering.
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  const std::string& message = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return absl::Status(code, absl::StrCat("cannot reach the server at ", address, ": ",
                                             message.empty() ? "unavailable" : message));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::Status(code, absl::StrCat("the server at ", address, " did not answer within ",
                                             DurationToText(deadline), " (DEADLINE_EXCEEDED)"));
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::Status(
          code,
          absl::StrCat("the server at ", address, " does not support this call",
                       message.empty() ? "" : absl::StrCat(": ", message), " (UNIMPLEMENTED)"));
    default:
      break;
  }
  const std::string name = GrpcCodeName(status.error_code());
  if (message.empty()) return absl::Status(code, absl::StrCat("the server answered ", name));
  // Access problems lead with the code, so scripts and people can tell them apart at a glance.
  if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
      status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
      status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
    return absl::Status(code, absl::StrCat(name, ": ", message));
  }
  return absl::Status(code, absl::StrCat(message, " (", name, ")"));
}

}  // namespace weft::cli
