// The names the CLI shows for, and accepts as, the API's enum values.
//
// Flags take lowercase, dash-separated words ("timed-out", "reject-duplicate"); text output
// shows event types and workflow statuses the way Temporal's tools do ("WorkflowTaskStarted",
// "TimedOut") and other enums by their short upper-case name ("START_TO_CLOSE").
//
// Thread safety: pure functions, safe to call from any thread.
#ifndef WEFT_CLI_NAMES_H_
#define WEFT_CLI_NAMES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "weft/api/v1/enums.pb.h"

namespace weft::cli {

// "running", "completed", "failed", "canceled", "terminated", "timed-out": the values of
// `weft workflow list --status`, in that order.
const std::vector<std::string>& StatusFlagValues();

// Parses a --status value. INVALID_ARGUMENT lists the accepted values.
absl::StatusOr<api::v1::WorkflowExecutionStatus> ParseStatusFlag(absl::string_view value);

// "Running", "Completed", "Failed", "Canceled", "Terminated", "TimedOut"; "Unspecified"
// for 0 and "Unknown(N)" for a value this CLI does not know.
std::string StatusDisplayName(api::v1::WorkflowExecutionStatus status);

// "allow-duplicate", "allow-duplicate-failed-only", "reject-duplicate",
// "terminate-if-running": the values of `weft workflow start --id-reuse-policy`.
const std::vector<std::string>& IdReusePolicyFlagValues();

// Parses an --id-reuse-policy value. INVALID_ARGUMENT lists the accepted values.
absl::StatusOr<api::v1::WorkflowIdReusePolicy> ParseIdReusePolicyFlag(absl::string_view value);

// "WorkflowExecutionStarted" for EVENT_TYPE_WORKFLOW_EXECUTION_STARTED; "Unknown(N)" for a
// value this CLI does not know.
std::string EventTypeName(api::v1::EventType type);

// Short upper-case names: "START_TO_CLOSE", "MAXIMUM_ATTEMPTS_REACHED", "BAD_COMMAND";
// "UNKNOWN(N)" for a value this CLI does not know.
std::string TimeoutTypeName(api::v1::TimeoutType type);
std::string RetryStateName(api::v1::RetryState state);
std::string WorkflowTaskFailedCauseName(api::v1::WorkflowTaskFailedCause cause);

}  // namespace weft::cli

#endif  // WEFT_CLI_NAMES_H_
