// Text and JSON renderings of server responses for `weft ... --output text|json`.
//
// JSON output is protobuf's canonical JSON with the proto field names kept (snake_case), so
// that it matches the `workflow start` output and the .proto files; bytes fields such as
// payload data appear base64-encoded, as protobuf JSON requires.
//
// Thread safety: pure functions, safe to call from any thread.
#ifndef WEFT_CLI_OUTPUT_FORMAT_H_
#define WEFT_CLI_OUTPUT_FORMAT_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "weft/api/v1/workflow_service.pb.h"

namespace weft::cli {

// Compact protobuf JSON of `message`, without a trailing newline.
absl::StatusOr<std::string> ProtoToJson(const google::protobuf::Message& message);

// `weft workflow describe`: aligned "Key: value" lines, then pending activities and timers.
std::string FormatWorkflowDescription(const api::v1::DescribeWorkflowExecutionResponse& r);

// `weft workflow list`: the WORKFLOW ID, RUN ID, TYPE, STATUS, START TIME table.
std::string FormatWorkflowTable(
    const google::protobuf::RepeatedPtrField<api::v1::WorkflowExecutionInfo>& executions);

// `weft namespace describe`: aligned "Key: value" lines.
std::string FormatNamespaceInfo(const api::v1::NamespaceInfo& info);

// `weft namespace list`: the NAME, RETENTION, DESCRIPTION table.
std::string FormatNamespaceTable(
    const google::protobuf::RepeatedPtrField<api::v1::NamespaceInfo>& namespaces);

}  // namespace weft::cli

#endif  // WEFT_CLI_OUTPUT_FORMAT_H_
