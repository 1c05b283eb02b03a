// The timeline of one workflow run, for `weft workflow trace`: where the time of a run went,
// built from its history and its DescribeWorkflowExecution answer without any server help.
//
// Each step folds the events of one piece of work into one entry: a workflow task
// (scheduled -> started -> completed/failed/timed out), an activity (scheduled -> started ->
// closed, with the attempt that closed it and the failure of the attempt before), a timer, a
// child workflow, a signal sent to another workflow, and the instant ones (signals received,
// markers, search attribute upserts, cancel requests, the close event). Offsets and durations
// are whole milliseconds counted from the run's start; every duration is the difference of
// two offsets, so a step's phases add up to its duration exactly.
//
//   WorkflowTrace trace = BuildWorkflowTrace(describe, history, absl::Now());
//   std::cout << FormatTraceText(trace);          // or FormatTraceJson(trace)
//
// Thread safety: pure functions on values, safe to call from any thread.
#ifndef WEFT_CLI_WORKFLOW_TRACE_H_
#define WEFT_CLI_WORKFLOW_TRACE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "weft/api/v1/history.pb.h"
#include "weft/api/v1/workflow_service.pb.h"

namespace weft::cli {

// A stretch of a step's time. Names: "schedule_to_start" (workflow tasks and activities:
// waiting in the task queue; for an activity's attempt N > 1 this includes the earlier
// attempts and their backoff), "execution" (the worker's time for the task or the attempt,
// the child run's time), "start" (child workflows: initiated -> started).
struct TracePhase {
  std::string name;
  int64_t ms = 0;
};

struct TraceStep {
  // workflow_task, activity, timer, child_workflow, signal_external, cancel_external (these
  // have a duration); signal, marker, search_attributes, cancel_request, close (instants).
  std::string kind;
  std::string name;  // activity or child type, signal or marker name; "" when none
  std::string id;    // activity, timer or child workflow id, target workflow id; "" when none
  int64_t start_offset_ms = 0;
  int64_t duration_ms = 0;  // open steps: up to the close of the run, or to `now`
  std::vector<TracePhase> phases;
  int attempt = 0;  // workflow tasks and activities; 0 elsewhere
  // completed, failed, timed_out, canceled, terminated, continued_as_new, fired, delivered,
  // start_failed, received, recorded; "pending" when still open in a running run,
  // "unfinished" when the run closed with it open.
  std::string outcome;
  std::string identity;                 // the worker (or caller) that did it
  std::string failure;                  // why it failed, one line
  std::string last_failure;             // activities: the failure of the attempt before `attempt`
  std::string detail;                   // a kind-specific note, e.g. "cause BAD_COMMAND"
  std::optional<int64_t> requested_ms;  // timers: the duration asked for
  std::string run_id;  // child_workflow: the child's run; close: the next run (continue-as-new)
  std::vector<int64_t> event_ids;
  bool open = false;  // its closing event is not in the history
};

// Something the run still waits for, from DescribeWorkflowExecution (activities, timers,
// children) and from the history (the workflow task).
struct TracePendingItem {
  std::string kind;  // workflow_task, activity, timer, child_workflow
  std::string name;  // activity or child type
  std::string id;    // activity, timer or child workflow id
  // workflow_task: scheduled, started, backoff; activity: the server's state (SCHEDULED,
  // STARTED, BACKOFF, CANCEL_REQUESTED, BREAKER_OPEN); timer: waiting; child: initiated,
  // started.
  std::string state;
  int attempt = 0;
  int maximum_attempts = 0;       // 0: unlimited
  std::optional<int64_t> age_ms;  // how long it has been in `state`
  std::string due_time;           // timers: when it fires (RFC 3339)
  std::optional<int64_t> due_in_ms;
  std::optional<int64_t> backoff_ms;  // activity in BACKOFF: the retry policy's interval
  std::string last_failure;
  std::string identity;
  std::string last_heartbeat_time;  // RFC 3339
  std::string run_id;               // children that started
};

// Sums over the steps. Steps that overlap (activities in parallel) each count in full, so
// the sums may exceed the run's duration.
struct TraceTotals {
  int64_t workflow_task_ms = 0;       // workflow tasks' execution (worker time)
  int64_t activity_execution_ms = 0;  // activities' execution
  int64_t queue_wait_ms = 0;          // schedule_to_start of workflow tasks and first attempts
  int64_t retry_wait_ms = 0;          // schedule_to_start of activities closed by a retry
  int64_t timer_ms = 0;               // timers
  int64_t child_workflow_ms = 0;      // child workflows
  int workflow_tasks = 0;
  int activities = 0;
  int timers = 0;
  int child_workflows = 0;
};

struct WorkflowTrace {
  std::string workflow_id;
  std::string run_id;
  std::string workflow_type;
  api::v1::WorkflowExecutionStatus status = api::v1::WORKFLOW_EXECUTION_STATUS_UNSPECIFIED;
  std::string task_queue;
  std::string start_time;   // RFC 3339
  std::string close_time;   // RFC 3339; "" while running
  int64_t duration_ms = 0;  // start to close, or to `now` while running
  std::string trace_id;     // from the start event's traceparent; "" when none
  std::string continued_from_run_id;
  std::string parent;            // "namespace/workflow_id/run_id" of a child's parent
  std::vector<TraceStep> steps;  // by start offset, then event id; the close step is last
  std::vector<TracePendingItem> pending;
  TraceTotals totals;
};

// The timeline of the run `describe` names, from all of its history events in order. `now`
// ends the steps still open in a running run and ages the pending items.
WorkflowTrace BuildWorkflowTrace(const api::v1::DescribeWorkflowExecutionResponse& describe,
                                 const api::v1::History& history, absl::Time now);

// "+12.345s" style seconds with milliseconds: "0.012s", "1m02.345s", "1h02m03.456s".
std::string FormatTraceMillis(int64_t ms);

// The header, one line per step (details of failures indented below it), the pending items
// and the totals, each line ending in a newline.
std::string FormatTraceText(const WorkflowTrace& trace);

// One JSON object (no trailing newline) with the fields documented in the command's help
// (`weft workflow trace --help`) and docs/architecture/observability.md.
std::string FormatTraceJson(const WorkflowTrace& trace);

}  // namespace weft::cli

#endif  // WEFT_CLI_WORKFLOW_TRACE_H_
