// `weft workflow result`: waiting for a run to close and turning its close event into output
// and an exit code (exit_codes.h).
//
// The wait long-polls GetWorkflowExecutionHistory with wait_new_event and the CLOSE_EVENT
// filter. The server holds each poll up to 60 s and may answer with no events (or let the
// poll's deadline pass); both mean "still running" and the CLI polls again until its own
// --timeout.
//
// Thread safety: pure functions, except WaitForCloseEvent, which blocks on the network and
// reads the real clock; it is safe to call concurrently.
#ifndef WEFT_CLI_WORKFLOW_RESULT_H_
#define WEFT_CLI_WORKFLOW_RESULT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/service_client.h"
#include "weft/api/v1/history.pb.h"

namespace weft::cli {

// What `workflow result` prints for a close event.
struct CloseOutcome {
  int exit_code = 0;
  std::string stdout_text;  // the result JSON and a newline, when the workflow completed
  std::string stderr_text;  // one line saying how and why it closed otherwise
};

// True for the six event types that close a run (continued-as-new included).
bool IsCloseEvent(const api::v1::HistoryEvent& event);

// The outcome for `close_event` of workflow `workflow_id`. A completed run prints its result
// JSON (payload_json.h) and exits kExitOk; the others print e.g.
//   weft: workflow "order-1" failed: "card declined" type=CardError
//   weft: workflow "order-1" was terminated: reason "stuck" by alice
// and exit kExitWorkflowNotCompleted.
CloseOutcome DescribeCloseEvent(const api::v1::HistoryEvent& close_event,
                                absl::string_view workflow_id);

// Waits until the run closes and returns its close event, or std::nullopt once `timeout`
// (absl::InfiniteDuration() for no limit) has passed. Errors other than a poll's own
// DEADLINE_EXCEEDED are returned as they are (e.g. NOT_FOUND).
absl::StatusOr<std::optional<api::v1::HistoryEvent>> WaitForCloseEvent(
    const ServiceClient& client, absl::string_view ns, const api::v1::WorkflowExecution& execution,
    absl::Duration timeout);

}  // namespace weft::cli

#endif  // WEFT_CLI_WORKFLOW_RESULT_H_
