// `weft workflow trace`: the timeline of one run (workflow_trace.h), from
// DescribeWorkflowExecution and every page of GetWorkflowExecutionHistory.
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/workflow_trace.h"

namespace weft::cli {
namespace {

using Stub = ServiceClient::Stub;

struct TraceArgs {
  std::string workflow_id;
  std::string run_id;
};

int RunTrace(const TraceArgs& args, CommandEnv& env) {
  // Describe first: it resolves an empty --run-id to the current run, and the history is then
  // read for exactly that run even if a new run starts meanwhile.
  api::v1::DescribeWorkflowExecutionRequest describe_request;
  describe_request.set_namespace_(env.options().ns);
  describe_request.mutable_execution()->set_workflow_id(args.workflow_id);
  describe_request.mutable_execution()->set_run_id(args.run_id);
  auto describe = env.client().Call(&Stub::DescribeWorkflowExecution, describe_request);
  if (!describe.ok()) return env.Fail(describe.status());

  api::v1::GetWorkflowExecutionHistoryRequest request;
  request.set_namespace_(env.options().ns);
  request.mutable_execution()->set_workflow_id(args.workflow_id);
  request.mutable_execution()->set_run_id(
      describe->workflow_execution_info().execution().run_id().empty()
          ? args.run_id
          : describe->workflow_execution_info().execution().run_id());
  api::v1::History history;
  do {
    auto page = env.client().Call(&Stub::GetWorkflowExecutionHistory, request);
    if (!page.ok()) return env.Fail(page.status());
    for (auto& event : *page->mutable_history()->mutable_events()) {
      *history.add_events() = std::move(event);
    }
    request.set_next_page_token(page->next_page_token());
  } while (!request.next_page_token().empty());

  const WorkflowTrace trace = BuildWorkflowTrace(*describe, history, absl::Now());
  if (env.json()) {
    env.out() << FormatTraceJson(trace) << "\n";
  } else {
    env.out() << FormatTraceText(trace);
  }
  return kExitOk;
}

constexpr char kTraceFooter[] =
    "Text: a header, then one line per step: its offset from the start, its duration, what it\n"
    "was, its outcome, and details (attempt, phases, worker identity; failures below it);\n"
    "then what the run still waits for, and totals.\n"
    "\n"
    "JSON (-o json): one object\n"
    "  workflow_id, run_id, workflow_type, status (WORKFLOW_EXECUTION_STATUS_*), task_queue,\n"
    "  start_time, close_time (RFC 3339; null while running), duration_ms (so far while\n"
    "  running), trace_id (the start's W3C trace id, or null), continued_from_run_id, parent,\n"
    "  steps: [{kind, name, id, start_offset_ms, duration_ms, phases, attempt, outcome,\n"
    "           identity, failure, last_failure, detail, requested_ms, run_id, next_run_id,\n"
    "           event_ids}]\n"
    "    kind: workflow_task | activity | timer | child_workflow | signal_external |\n"
    "          cancel_external | signal | marker | search_attributes | cancel_request | close\n"
    "    phases: {schedule_to_start_ms, execution_ms} (workflow tasks, activities) or\n"
    "            {start_ms, execution_ms} (children); they add up to duration_ms\n"
    "    outcome: completed | failed | timed_out | canceled | terminated | continued_as_new |\n"
    "             fired | delivered | start_failed | received | recorded | pending | unfinished\n"
    "    kind, name, id, start_offset_ms, duration_ms, outcome and event_ids are always\n"
    "    present; the other fields only when they apply. Steps are ordered by start offset;\n"
    "    the close step is last.\n"
    "  pending: [{kind (workflow_task | activity | timer | child_workflow), state, name, id,\n"
    "             attempt, maximum_attempts, age_ms, due_time, due_in_ms, backoff_ms,\n"
    "             last_failure, identity, last_heartbeat_time, run_id}]\n"
    "  totals: {workflow_task_ms, activity_execution_ms, queue_wait_ms, retry_wait_ms,\n"
    "           timer_ms, child_workflow_ms, workflow_tasks, activities, timers,\n"
    "           child_workflows}\n"
    "Exit codes: 0 printed; 3 the command failed (workflow not found, server unreachable, ...).";

}  // namespace

void AddWorkflowTraceCommand(CLI::App& wf, std::vector<Command>& commands) {
  auto args = std::make_shared<TraceArgs>();
  CLI::App* cmd = wf.add_subcommand(
      "trace",
      "Print the timeline of a run: each workflow task, activity, timer, signal and "
      "child with its waits and durations");
  cmd->add_option("-w,--workflow-id", args->workflow_id, "Workflow id")->required();
  cmd->add_option("-r,--run-id", args->run_id, "Run id (default: the current or latest run)");
  cmd->footer(kTraceFooter);
  commands.push_back({cmd, [args](CommandEnv& env) { return RunTrace(*args, env); }});
}

}  // namespace weft::cli
