// Request validation at the frontend: ids, sizes, enums and durations, with messages that
// say what to fix. Limits follow Temporal's defaults (DESIGN.md section 11).
//
// Thread safety: pure functions.
#ifndef WEFT_SERVER_FRONTEND_VALIDATION_H_
#define WEFT_SERVER_FRONTEND_VALIDATION_H_

#include <string>

#include "absl/status/status.h"
#include "weft/api/v1/workflow_service.pb.h"

namespace weft::frontend {

inline constexpr size_t kMaxIdLength = 1000;
inline constexpr size_t kMaxPayloadBytes = 2 * 1024 * 1024;

// `what` names the field in the message, e.g. "workflow_id".
absl::Status ValidateId(const std::string& value, const std::string& what, bool required = true);
absl::Status ValidatePayloads(const api::v1::Payloads& payloads, const std::string& what);
absl::Status ValidateDuration(const google::protobuf::Duration& d, const std::string& what);
absl::Status ValidateRetryPolicy(const api::v1::RetryPolicy& p, const std::string& what);
// A task priority: 1 (highest) to 5, or 0 for the default.
absl::Status ValidatePriority(int32_t priority, const std::string& what);
// A dispatch rate: finite and >= 0 (0: no limit).
absl::Status ValidateRatePerSecond(double rate, const std::string& what);

// A namespace's circuit breaker settings (zero values take the defaults).
absl::Status ValidateCircuitBreakerConfig(const api::v1::CircuitBreakerConfig& c);

absl::Status ValidateStart(const api::v1::StartWorkflowExecutionRequest& req);
absl::Status ValidateCommands(const api::v1::RespondWorkflowTaskCompletedRequest& req);

}  // namespace weft::frontend

#endif  // WEFT_SERVER_FRONTEND_VALIDATION_H_
