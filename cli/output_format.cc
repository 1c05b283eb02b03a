#include "cli/output_format.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/duration.h"
#include "cli/event_summary.h"
#include "cli/names.h"
#include "cli/text_table.h"
#include "google/protobuf/util/json_util.h"

namespace weft::cli {
namespace {

// "Key:" padded so that values line up.
std::string KeyValueLines(const std::vector<std::pair<std::string, std::string>>& lines) {
  size_t width = 0;
  for (const auto& [key, value] : lines) width = std::max(width, key.size());
  std::string out;
  for (const auto& [key, value] : lines) {
    absl::StrAppend(&out, absl::StrFormat("%-*s  ", static_cast<int>(width + 1), key + ":"),
                    value.empty() ? "-" : value, "\n");
  }
  return out;
}

std::string DurationOrDash(const google::protobuf::Duration& d) {
  const absl::Duration duration = FromProtoDuration(d);
  return duration == absl::ZeroDuration() ? "-" : DurationToText(duration);
}

}  // namespace

absl::StatusOr<std::string> ProtoToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  const auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print the answer as JSON: ", status.ToString()));
  }
  return out;
}

std::string FormatWorkflowDescription(const api::v1::DescribeWorkflowExecutionResponse& r) {
  const api::v1::WorkflowExecutionInfo& info = r.workflow_execution_info();
  std::vector<std::pair<std::string, std::string>> rows = {
      {"Workflow ID", info.execution().workflow_id()},
      {"Run ID", info.execution().run_id()},
      {"Type", info.type().name()},
      {"Task queue", info.task_queue()},
      {"Status", StatusDisplayName(info.status())},
      {"Start time", FormatTimestamp(info.start_time())},
      {"Close time", FormatTimestamp(info.close_time())},
      {"History length", absl::StrCat(info.history_length())},
  };
  // The continue-as-new chain, when this run is part of one.
  if (!info.continued_from_run_id().empty()) {
    rows.emplace_back("Continued from", info.continued_from_run_id());
  }
  if (!info.continued_as_run_id().empty()) {
    rows.emplace_back("Continued as", info.continued_as_run_id());
  }
  if (!info.parent_execution().workflow_id().empty()) {
    rows.emplace_back(
        "Parent", absl::StrCat(info.parent_namespace(), "/", info.parent_execution().workflow_id(),
                               "/", info.parent_execution().run_id()));
  }
  std::string out = KeyValueLines(rows);
  absl::StrAppend(&out, "Pending activities: ", r.pending_activities_size(), "\n");
  for (const api::v1::PendingActivityInfo& a : r.pending_activities()) {
    std::string attempts = absl::StrCat(a.attempt());
    if (a.maximum_attempts() > 0) absl::StrAppend(&attempts, "/", a.maximum_attempts());
    absl::StrAppend(&out, "  activity_id=", a.activity_id(), " type=", a.activity_type().name(),
                    " state=", a.state().empty() ? "-" : a.state(), " attempt=", attempts);
    if (a.last_heartbeat_time().seconds() != 0) {
      absl::StrAppend(&out, " last_heartbeat=", FormatTimestamp(a.last_heartbeat_time()));
    }
    if (!a.last_failure().message().empty() || !a.last_failure().type().empty()) {
      absl::StrAppend(&out, " last_failure=", FailureSummary(a.last_failure()));
    }
    out += "\n";
  }
  absl::StrAppend(&out, "Pending timers: ", r.pending_timers_size(), "\n");
  for (const api::v1::PendingTimerInfo& t : r.pending_timers()) {
    absl::StrAppend(&out, "  timer_id=", t.timer_id(),
                    " fire_time=", FormatTimestamp(t.fire_time()), "\n");
  }
  if (r.pending_children_size() > 0) {
    absl::StrAppend(&out, "Pending children: ", r.pending_children_size(), "\n");
    for (const api::v1::PendingChildExecutionInfo& c : r.pending_children()) {
      std::string policy = api::v1::ParentClosePolicy_Name(c.parent_close_policy());
      if (size_t at = policy.find("POLICY_"); at != std::string::npos) {
        policy = policy.substr(at + 7);
      }
      absl::StrAppend(&out, "  workflow_id=", c.workflow_id(),
                      " run_id=", c.run_id().empty() ? "-" : c.run_id(),
                      " type=", c.workflow_type_name(), " parent_close_policy=", policy, "\n");
    }
  }
  return out;
}

std::string FormatWorkflowTable(
    const google::protobuf::RepeatedPtrField<api::v1::WorkflowExecutionInfo>& executions) {
  TextTable table({"WORKFLOW ID", "RUN ID", "TYPE", "STATUS", "START TIME"});
  for (const api::v1::WorkflowExecutionInfo& e : executions) {
    table.AddRow({e.execution().workflow_id(), e.execution().run_id(), e.type().name(),
                  StatusDisplayName(e.status()), FormatTimestamp(e.start_time())});
  }
  return table.Render();
}

std::string FormatNamespaceInfo(const api::v1::NamespaceInfo& info) {
  return KeyValueLines({
      {"Name", info.name()},
      {"ID", info.id()},
      {"Description", info.description()},
      {"Owner email", info.owner_email()},
      {"Retention", DurationOrDash(info.workflow_execution_retention_ttl())},
      {"Created", FormatTimestamp(info.create_time())},
  });
}

std::string FormatNamespaceTable(
    const google::protobuf::RepeatedPtrField<api::v1::NamespaceInfo>& namespaces) {
  TextTable table({"NAME", "RETENTION", "DESCRIPTION"});
  for (const api::v1::NamespaceInfo& ns : namespaces) {
    table.AddRow(
        {ns.name(), DurationOrDash(ns.workflow_execution_retention_ttl()), ns.description()});
  }
  return table.Render();
}

}  // namespace weft::cli
