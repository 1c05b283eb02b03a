// The one translation from absl::Status (our error currency) to grpc::Status at the handler
// boundary. Codes map one to one.
//
// Thread safety: pure function.
#ifndef WEFT_SERVER_COMMON_GRPC_STATUS_H_
#define WEFT_SERVER_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace weft {

inline grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

}  // namespace weft

#endif  // WEFT_SERVER_COMMON_GRPC_STATUS_H_
