// RebuildMutableState: derives the mutable state of a run from a prefix of its history, for
// ResetWorkflowExecution (a new run whose history is an old run's up to a workflow task).
//
// What it rebuilds: type, task queue, timeouts, memo, search attributes, parent, status
// (running), start time, cancel request, pending activities (scheduled, no outcome yet; as
// attempt 1, not started), pending timers (with their original fire times), pending
// children and external signals/cancels, the workflow task in flight at the end of the
// prefix, next_event_id and history size. It does not create tasks: the caller re-dispatches
// what is pending. Fails with INVALID_ARGUMENT when the events are not a well-formed prefix
// (not starting with WorkflowExecutionStarted, ids not consecutive from 1, or a close event).
//
// Thread safety: a pure function.
#ifndef WEFT_SERVER_HISTORY_STATE_REBUILDER_H_
#define WEFT_SERVER_HISTORY_STATE_REBUILDER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "weft/api/v1/history.pb.h"
#include "weft/internal/persistence.pb.h"

namespace weft::history {

// `identity` supplies namespace_id/namespace_name/workflow_id/run_id (copied as they are);
// `events` is the prefix, in order.
absl::StatusOr<internal::MutableState> RebuildMutableState(
    const internal::MutableState& identity, const std::vector<api::v1::HistoryEvent>& events);

}  // namespace weft::history

#endif  // WEFT_SERVER_HISTORY_STATE_REBUILDER_H_
