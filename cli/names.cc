#include "cli/names.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace weft::cli {
namespace {

using api::v1::EventType;
using api::v1::WorkflowExecutionStatus;
using api::v1::WorkflowIdReusePolicy;

// `full` without `prefix`, or "UNKNOWN(n)" when the generated name is empty (a value added
// to the proto after this binary was built).
std::string ShortName(const std::string& full, absl::string_view prefix, int value) {
  if (full.empty()) return absl::StrCat("UNKNOWN(", value, ")");
  absl::string_view name = full;
  absl::ConsumePrefix(&name, prefix);
  return std::string(name);
}

// "WORKFLOW_EXECUTION_STARTED" -> "WorkflowExecutionStarted".
std::string PascalCase(absl::string_view upper_snake) {
  std::string out;
  for (absl::string_view word : absl::StrSplit(upper_snake, '_', absl::SkipEmpty())) {
    out += absl::ascii_toupper(static_cast<unsigned char>(word[0]));
    out += absl::AsciiStrToLower(word.substr(1));
  }
  return out;
}

const std::vector<std::pair<std::string, WorkflowExecutionStatus>>& StatusFlags() {
  static const auto* kFlags = new std::vector<std::pair<std::string, WorkflowExecutionStatus>>{
      {"running", api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING},
      {"completed", api::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED},
      {"failed", api::v1::WORKFLOW_EXECUTION_STATUS_FAILED},
      {"canceled", api::v1::WORKFLOW_EXECUTION_STATUS_CANCELED},
      {"terminated", api::v1::WORKFLOW_EXECUTION_STATUS_TERMINATED},
      {"timed-out", api::v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT},
      {"continued-as-new", api::v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW},
  };
  return *kFlags;
}

const std::vector<std::pair<std::string, WorkflowIdReusePolicy>>& ReusePolicyFlags() {
  static const auto* kFlags = new std::vector<std::pair<std::string, WorkflowIdReusePolicy>>{
      {"allow-duplicate", api::v1::WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE},
      {"allow-duplicate-failed-only",
       api::v1::WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY},
      {"reject-duplicate", api::v1::WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE},
      {"terminate-if-running", api::v1::WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING},
  };
  return *kFlags;
}

template <typename Enum>
std::vector<std::string> Keys(const std::vector<std::pair<std::string, Enum>>& table) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : table) keys.push_back(key);
  return keys;
}

template <typename Enum>
absl::StatusOr<Enum> Lookup(const std::vector<std::pair<std::string, Enum>>& table,
                            absl::string_view flag, absl::string_view value) {
  for (const auto& [key, enum_value] : table) {
    if (key == value) return enum_value;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid ", flag, " \"", value, "\": expected one of ", absl::StrJoin(Keys(table), ", ")));
}

}  // namespace

const std::vector<std::string>& StatusFlagValues() {
  static const auto* kValues = new std::vector<std::string>(Keys(StatusFlags()));
  return *kValues;
}

absl::StatusOr<WorkflowExecutionStatus> ParseStatusFlag(absl::string_view value) {
  return Lookup(StatusFlags(), "--status", value);
}

std::string StatusDisplayName(WorkflowExecutionStatus status) {
  const std::string& full = api::v1::WorkflowExecutionStatus_Name(status);
  if (full.empty()) return absl::StrCat("Unknown(", static_cast<int>(status), ")");
  return PascalCase(ShortName(full, "WORKFLOW_EXECUTION_STATUS_", status));
}

const std::vector<std::string>& IdReusePolicyFlagValues() {
  static const auto* kValues = new std::vector<std::string>(Keys(ReusePolicyFlags()));
  return *kValues;
}

absl::StatusOr<WorkflowIdReusePolicy> ParseIdReusePolicyFlag(absl::string_view value) {
  return Lookup(ReusePolicyFlags(), "--id-reuse-policy", value);
}

std::string EventTypeName(EventType type) {
  const std::string& full = api::v1::EventType_Name(type);
  if (full.empty()) return absl::StrCat("Unknown(", static_cast<int>(type), ")");
  return PascalCase(ShortName(full, "EVENT_TYPE_", type));
}

std::string TimeoutTypeName(api::v1::TimeoutType type) {
  return ShortName(api::v1::TimeoutType_Name(type), "TIMEOUT_TYPE_", type);
}

std::string RetryStateName(api::v1::RetryState state) {
  return ShortName(api::v1::RetryState_Name(state), "RETRY_STATE_", state);
}

std::string WorkflowTaskFailedCauseName(api::v1::WorkflowTaskFailedCause cause) {
  return ShortName(api::v1::WorkflowTaskFailedCause_Name(cause), "WORKFLOW_TASK_FAILED_CAUSE_",
                   cause);
}

}  // namespace weft::cli
