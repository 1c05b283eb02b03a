#include "cli/workflow_result.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cli/event_summary.h"
#include "cli/exit_codes.h"
#include "cli/names.h"
#include "cli/payload_json.h"

namespace weft::cli {
namespace {

using api::v1::HistoryEvent;

// Longer than the server's 60 s long-poll cap, so that normally the server ends each poll.
constexpr absl::Duration kMaxPollDeadline = absl::Seconds(70);

CloseOutcome NotCompleted(absl::string_view workflow_id, absl::string_view what) {
  return CloseOutcome{kExitWorkflowNotCompleted, "",
                      absl::StrCat("weft: workflow \"", workflow_id, "\" ", what, "\n")};
}

}  // namespace

bool IsCloseEvent(const HistoryEvent& event) {
  switch (event.event_type()) {
    case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
    case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
    case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
    case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
    case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
    case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
      return true;
    default:
      return false;
  }
}

CloseOutcome DescribeCloseEvent(const HistoryEvent& event, absl::string_view workflow_id) {
  switch (event.event_type()) {
    case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
      return CloseOutcome{
          kExitOk,
          absl::StrCat(
              PayloadsToJson(event.workflow_execution_completed_event_attributes().result()), "\n"),
          ""};
    case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: {
      const auto& a = event.workflow_execution_failed_event_attributes();
      std::string what = absl::StrCat("failed: ", FailureSummary(a.failure()));
      if (a.retry_state() != api::v1::RETRY_STATE_UNSPECIFIED &&
          a.retry_state() != api::v1::RETRY_STATE_RETRY_POLICY_NOT_SET) {
        absl::StrAppend(&what, " (retry state ", RetryStateName(a.retry_state()), ")");
      }
      return NotCompleted(workflow_id, what);
    }
    case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: {
      const auto& a = event.workflow_execution_canceled_event_attributes();
      std::string what = "was canceled";
      if (a.details().payloads_size() > 0) {
        absl::StrAppend(&what, ": details ", PayloadsToJson(a.details()));
      }
      return NotCompleted(workflow_id, what);
    }
    case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: {
      const auto& a = event.workflow_execution_terminated_event_attributes();
      std::string what = "was terminated";
      if (!a.reason().empty()) absl::StrAppend(&what, ": reason \"", a.reason(), "\"");
      if (!a.identity().empty()) absl::StrAppend(&what, " by ", a.identity());
      return NotCompleted(workflow_id, what);
    }
    case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: {
      const auto& a = event.workflow_execution_timed_out_event_attributes();
      std::string what = "timed out (its execution or run timeout passed)";
      if (a.retry_state() != api::v1::RETRY_STATE_UNSPECIFIED &&
          a.retry_state() != api::v1::RETRY_STATE_RETRY_POLICY_NOT_SET) {
        absl::StrAppend(&what, ", retry state ", RetryStateName(a.retry_state()));
      }
      return NotCompleted(workflow_id, what);
    }
    case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
      return NotCompleted(
          workflow_id,
          absl::StrCat(
              "continued as new as run ",
              event.workflow_execution_continued_as_new_event_attributes().new_execution_run_id()));
    default:
      return CloseOutcome{
          kExitError, "",
          absl::StrCat("weft: workflow \"", workflow_id, "\": unexpected close event ",
                       EventTypeName(event.event_type()), "\n")};
  }
}

absl::StatusOr<std::optional<HistoryEvent>> WaitForCloseEvent(
    const ServiceClient& client, absl::string_view ns, const api::v1::WorkflowExecution& execution,
    absl::Duration timeout) {
  const absl::Time give_up =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  api::v1::GetWorkflowExecutionHistoryRequest request;
  request.set_namespace_(std::string(ns));
  *request.mutable_execution() = execution;
  request.set_wait_new_event(true);
  request.set_history_event_filter_type(api::v1::HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
  while (true) {
    const absl::Duration remaining = give_up - absl::Now();
    if (remaining <= absl::ZeroDuration()) return std::nullopt;
    absl::StatusOr<api::v1::GetWorkflowExecutionHistoryResponse> response =
        client.Call(&ServiceClient::Stub::GetWorkflowExecutionHistory, request,
                    std::min(remaining, kMaxPollDeadline));
    if (!response.ok()) {
      if (absl::IsDeadlineExceeded(response.status())) continue;
      return response.status();
    }
    for (const HistoryEvent& event : response->history().events()) {
      if (IsCloseEvent(event)) return event;
    }
    // Still running. Continue from where the server says it stopped, if it said.
    request.set_next_page_token(response->next_page_token());
  }
}

}  // namespace weft::cli
