// Retrying calls the server refused for a rate limit (RESOURCE_EXHAUSTED): the server names
// in trailing metadata (x-weft-retry-after-ms) when a retry can succeed; without a hint the
// wait doubles from 100 ms up to 2 s.
//
//   grpc::Status s = CallWithRateLimitRetry([&](grpc::ClientContext* ctx) {
//     return stub.StartWorkflowExecution(ctx, req, &resp);
//   });
//
// Thread safety: pure functions; `call` runs on the calling thread.
#ifndef WEFT_WORKER_SDK_SRC_CALL_RETRY_H_
#define WEFT_WORKER_SDK_SRC_CALL_RETRY_H_

#include <grpcpp/grpcpp.h>

#include <functional>

#include "absl/time/time.h"

namespace weft::detail {

// The server's hint on a RESOURCE_EXHAUSTED call, or `fallback` when it gave none.
absl::Duration RetryAfter(const grpc::ClientContext& ctx, absl::Duration fallback);

// Calls `call` with a fresh context until it is not RESOURCE_EXHAUSTED or `budget` is
// spent; then returns the last status.
grpc::Status CallWithRateLimitRetry(const std::function<grpc::Status(grpc::ClientContext*)>& call,
                                    absl::Duration budget = absl::Seconds(30));

}  // namespace weft::detail

#endif  // WEFT_WORKER_SDK_SRC_CALL_RETRY_H_
