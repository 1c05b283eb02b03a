// libFuzzer target: request validation of hostile requests. The first byte picks the request
// type; the rest is parsed as that protobuf message and validated. Validation must answer OK
// or INVALID_ARGUMENT, never crash.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>

#include "server/frontend/validation.h"

namespace {

using namespace weft::api::v1;  // NOLINT: fuzz target brevity

void Check(const absl::Status& s) {
  if (!s.ok() && !absl::IsInvalidArgument(s)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in string fields is an expected parse failure, not news.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t kind = data[0] % 4;
  const void* body = data + 1;
  const int len = static_cast<int>(size - 1);
  namespace fe = weft::frontend;
  switch (kind) {
    case 0: {
      StartWorkflowExecutionRequest req;
      if (req.ParseFromArray(body, len)) Check(fe::ValidateStart(req));
      break;
    }
    case 1: {
      RespondWorkflowTaskCompletedRequest req;
      if (req.ParseFromArray(body, len)) Check(fe::ValidateCommands(req));
      break;
    }
    case 2: {
      SignalWorkflowExecutionRequest req;
      if (req.ParseFromArray(body, len)) {
        Check(fe::ValidateId(req.signal_name(), "signal_name"));
        Check(fe::ValidatePayloads(req.input(), "input"));
      }
      break;
    }
    default: {
      RetryPolicy p;
      if (p.ParseFromArray(body, len)) Check(fe::ValidateRetryPolicy(p, "retry_policy"));
      break;
    }
  }
  return 0;
}
