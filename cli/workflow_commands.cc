// `weft workflow ...`: start workflows, wait for their results, inspect, query, signal,
// cancel and terminate them.
#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/event_summary.h"
#include "cli/exit_codes.h"
#include "cli/names.h"
#include "cli/output_format.h"
#include "cli/payload_json.h"
#include "cli/uuid.h"
#include "cli/workflow_result.h"
#include "telemetry/trace_context.h"

namespace weft::cli {
namespace {

using Stub = ServiceClient::Stub;

constexpr int kListPageSize = 100;

// --workflow-id and --run-id, shared by the commands that address one execution.
struct ExecutionArgs {
  std::string workflow_id;
  std::string run_id;

  api::v1::WorkflowExecution ToProto() const {
    api::v1::WorkflowExecution execution;
    execution.set_workflow_id(workflow_id);
    execution.set_run_id(run_id);
    return execution;
  }
};

void AddExecutionOptions(CLI::App* app, ExecutionArgs& args) {
  app->add_option("-w,--workflow-id", args.workflow_id, "Workflow id")->required();
  app->add_option("-r,--run-id", args.run_id, "Run id (default: the current or latest run)");
}

// A repeatable option holding one JSON text per occurrence. CLI11 would otherwise split a
// JSON array such as [1,2] into several values, or let one --input swallow later words.
CLI::Option* AddJsonOption(CLI::App* app, const std::string& name, std::vector<std::string>& into,
                           const std::string& help) {
  return app->add_option(name, into, help)->allow_extra_args(false)->delimiter('\0');
}

// ---- start ----

struct StartArgs {
  std::string task_queue;
  std::string type;
  std::string workflow_id;
  std::vector<std::string> inputs;
  std::string execution_timeout;
  std::string run_timeout;
  std::string task_timeout;
  std::string id_reuse_policy;
  int priority = 0;                       // 0: not given, the server's default
  std::vector<std::string> search_attrs;  // Name=Value
  std::string traceparent;                // empty: a new trace
};

// The W3C traceparent a start or signal is sent with: --traceparent, or a new trace.
absl::StatusOr<std::string> OutgoingTraceparent(const std::string& flag) {
  if (flag.empty()) return telemetry::TraceParent::NewRoot().ToString();
  auto parsed = telemetry::TraceParent::Parse(flag);
  if (!parsed) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--traceparent \"", flag,
        "\" is not a W3C traceparent: expected 00-<32 lower-case hex trace id>-<16 hex span "
        "id>-<2 hex flags>, e.g. 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  }
  return parsed->ToString();
}

// Sets `*field` from the duration flag `flag` when it was given.
absl::Status SetDuration(absl::string_view flag, const std::string& text,
                         google::protobuf::Duration* field) {
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<absl::Duration> d = ParseDurationFlag(flag, text);
  if (!d.ok()) return d.status();
  *field = ToProtoDuration(*d);
  return absl::OkStatus();
}

int RunStart(const StartArgs& args, CommandEnv& env) {
  api::v1::StartWorkflowExecutionRequest request;
  request.set_namespace_(env.options().ns);
  request.set_workflow_id(args.workflow_id.empty() ? NewUuidV4() : args.workflow_id);
  request.mutable_workflow_type()->set_name(args.type);
  request.mutable_task_queue()->set_name(args.task_queue);
  request.set_identity(env.identity());
  request.set_request_id(NewUuidV4());
  absl::StatusOr<api::v1::Payloads> input = JsonToPayloads(args.inputs, "--input");
  if (!input.ok()) return env.Fail(input.status());
  if (input->payloads_size() > 0) *request.mutable_input() = *std::move(input);
  for (absl::Status s : {
           SetDuration("--execution-timeout", args.execution_timeout,
                       request.mutable_workflow_execution_timeout()),
           SetDuration("--run-timeout", args.run_timeout, request.mutable_workflow_run_timeout()),
           SetDuration("--task-timeout", args.task_timeout,
                       request.mutable_workflow_task_timeout()),
       }) {
    if (!s.ok()) return env.Fail(s);
  }
  if (!args.id_reuse_policy.empty()) {
    auto policy = ParseIdReusePolicyFlag(args.id_reuse_policy);
    if (!policy.ok()) return env.Fail(policy.status());
    request.set_workflow_id_reuse_policy(*policy);
  }
  request.set_priority(args.priority);
  if (!args.search_attrs.empty()) {
    auto attrs = ParseSearchAttrFlags(args.search_attrs, env);
    if (!attrs.ok()) return env.Fail(attrs.status());
    *request.mutable_search_attributes() = *std::move(attrs);
  }
  auto traceparent = OutgoingTraceparent(args.traceparent);
  if (!traceparent.ok()) return env.Fail(traceparent.status());
  const std::string trace_id = telemetry::TraceParent::Parse(*traceparent)->TraceIdHex();
  auto response =
      env.client().Call(&Stub::StartWorkflowExecution, request, ServiceClient::kDefaultDeadline,
                        {{telemetry::kTraceparentHeader, *traceparent}});
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) {
    nlohmann::json out = {{"workflow_id", request.workflow_id()},
                          {"run_id", response->run_id()},
                          {"trace_id", trace_id}};
    env.out() << out.dump() << "\n";
  } else {
    env.out() << "workflow_id=" << request.workflow_id() << " run_id=" << response->run_id();
    if (!args.traceparent.empty()) env.out() << " trace_id=" << trace_id;
    env.out() << "\n";
  }
  return kExitOk;
}

// ---- result ----

struct ResultArgs {
  ExecutionArgs execution;
  std::string timeout;
};

int RunResult(const ResultArgs& args, CommandEnv& env) {
  absl::Duration timeout = absl::InfiniteDuration();
  if (!args.timeout.empty()) {
    absl::StatusOr<absl::Duration> d = ParseDurationFlag("--timeout", args.timeout);
    if (!d.ok()) return env.Fail(d.status());
    timeout = *d;
  }
  const absl::Time give_up =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  api::v1::WorkflowExecution execution = args.execution.ToProto();
  auto close_event = WaitForCloseEvent(env.client(), env.options().ns, execution, timeout);
  // A run that continued as new hands its result to the next run: follow the chain.
  while (close_event.ok() && close_event->has_value() &&
         (**close_event).event_type() == api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW) {
    execution.set_run_id((**close_event)
                             .workflow_execution_continued_as_new_event_attributes()
                             .new_execution_run_id());
    const absl::Duration remaining = give_up == absl::InfiniteFuture()
                                         ? absl::InfiniteDuration()
                                         : std::max(give_up - absl::Now(), absl::ZeroDuration());
    close_event = WaitForCloseEvent(env.client(), env.options().ns, execution, remaining);
  }
  if (!close_event.ok()) return env.Fail(close_event.status());
  if (!close_event->has_value()) {
    env.err() << "weft: workflow \"" << args.execution.workflow_id << "\" did not close within "
              << args.timeout << " (--timeout)\n";
    return kExitWaitTimedOut;
  }
  const CloseOutcome outcome = DescribeCloseEvent(**close_event, args.execution.workflow_id);
  env.out() << outcome.stdout_text;
  env.err() << outcome.stderr_text;
  return outcome.exit_code;
}

// ---- describe ----

int RunDescribe(const ExecutionArgs& args, CommandEnv& env) {
  api::v1::DescribeWorkflowExecutionRequest request;
  request.set_namespace_(env.options().ns);
  *request.mutable_execution() = args.ToProto();
  auto response = env.client().Call(&Stub::DescribeWorkflowExecution, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << FormatWorkflowDescription(*response);
  env.out() << FormatSearchAttributes(response->workflow_execution_info().search_attributes());
  return kExitOk;
}

// ---- list ----

struct ListArgs {
  std::string status;
  std::string type;
  std::string query;
  int limit = 0;
};

int RunList(const ListArgs& args, CommandEnv& env) {
  api::v1::ListWorkflowExecutionsRequest request;
  request.set_namespace_(env.options().ns);
  request.set_workflow_type(args.type);
  request.set_query(args.query);
  if (!args.status.empty()) {
    auto status = ParseStatusFlag(args.status);
    if (!status.ok()) return env.Fail(status.status());
    request.set_status(*status);
  }
  if (args.limit < 0) return env.Fail(absl::InvalidArgumentError("--limit must be positive"));
  api::v1::ListWorkflowExecutionsResponse all;
  do {
    int page_size = kListPageSize;
    if (args.limit > 0) page_size = std::min(page_size, args.limit - all.executions_size());
    request.set_page_size(page_size);
    auto page = env.client().Call(&Stub::ListWorkflowExecutions, request);
    if (!page.ok()) return env.Fail(page.status());
    for (auto& e : *page->mutable_executions()) {
      if (args.limit > 0 && all.executions_size() >= args.limit) break;
      *all.add_executions() = std::move(e);
    }
    request.set_next_page_token(page->next_page_token());
  } while (!request.next_page_token().empty() &&
           (args.limit == 0 || all.executions_size() < args.limit));
  if (env.json()) return env.PrintJson(all);
  env.out() << FormatWorkflowTable(all.executions());
  return kExitOk;
}

// ---- history ----

int RunHistory(const ExecutionArgs& args, CommandEnv& env) {
  api::v1::GetWorkflowExecutionHistoryRequest request;
  request.set_namespace_(env.options().ns);
  *request.mutable_execution() = args.ToProto();
  api::v1::History all;  // only filled for JSON; text streams page by page
  do {
    auto page = env.client().Call(&Stub::GetWorkflowExecutionHistory, request);
    if (!page.ok()) return env.Fail(page.status());
    for (auto& event : *page->mutable_history()->mutable_events()) {
      if (env.json()) {
        *all.add_events() = std::move(event);
      } else {
        env.out() << FormatEventLine(event) << "\n";
      }
    }
    request.set_next_page_token(page->next_page_token());
  } while (!request.next_page_token().empty());
  if (env.json()) return env.PrintJson(all);
  return kExitOk;
}

// ---- query ----

struct QueryArgs {
  ExecutionArgs execution;
  std::string name;
  std::vector<std::string> inputs;
  std::string timeout = "10s";
};

int RunQuery(const QueryArgs& args, CommandEnv& env) {
  absl::StatusOr<absl::Duration> timeout = ParseDurationFlag("--timeout", args.timeout);
  if (!timeout.ok()) return env.Fail(timeout.status());
  api::v1::QueryWorkflowRequest request;
  request.set_namespace_(env.options().ns);
  *request.mutable_execution() = args.execution.ToProto();
  request.mutable_query()->set_query_type(args.name);
  absl::StatusOr<api::v1::Payloads> input = JsonToPayloads(args.inputs, "--input");
  if (!input.ok()) return env.Fail(input.status());
  if (input->payloads_size() > 0)
    *request.mutable_query()->mutable_query_args() = *std::move(input);
  auto response = env.client().Call(&Stub::QueryWorkflow, request, *timeout);
  if (!response.ok()) return env.Fail(response.status());
  // The answer is JSON in both output modes.
  env.out() << PayloadsToJson(response->query_result()) << "\n";
  return kExitOk;
}

// ---- signal, cancel, terminate ----

struct SignalArgs {
  ExecutionArgs execution;
  std::string name;
  std::vector<std::string> inputs;
  std::string traceparent;  // empty: a new trace
};

int RunSignal(const SignalArgs& args, CommandEnv& env) {
  api::v1::SignalWorkflowExecutionRequest request;
  request.set_namespace_(env.options().ns);
  *request.mutable_workflow_execution() = args.execution.ToProto();
  request.set_signal_name(args.name);
  absl::StatusOr<api::v1::Payloads> input = JsonToPayloads(args.inputs, "--input");
  if (!input.ok()) return env.Fail(input.status());
  if (input->payloads_size() > 0) *request.mutable_input() = *std::move(input);
  request.set_identity(env.identity());
  request.set_request_id(NewUuidV4());
  auto traceparent = OutgoingTraceparent(args.traceparent);
  if (!traceparent.ok()) return env.Fail(traceparent.status());
  auto response =
      env.client().Call(&Stub::SignalWorkflowExecution, request, ServiceClient::kDefaultDeadline,
                        {{telemetry::kTraceparentHeader, *traceparent}});
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << "signal \"" << args.name << "\" sent to workflow \"" << args.execution.workflow_id
            << "\"\n";
  return kExitOk;
}

struct ReasonArgs {
  ExecutionArgs execution;
  std::string reason;
};

int RunCancel(const ReasonArgs& args, CommandEnv& env) {
  api::v1::RequestCancelWorkflowExecutionRequest request;
  request.set_namespace_(env.options().ns);
  *request.mutable_workflow_execution() = args.execution.ToProto();
  request.set_identity(env.identity());
  request.set_request_id(NewUuidV4());
  request.set_reason(args.reason);
  auto response = env.client().Call(&Stub::RequestCancelWorkflowExecution, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << "cancellation requested for workflow \"" << args.execution.workflow_id << "\"\n";
  return kExitOk;
}

int RunTerminate(const ReasonArgs& args, CommandEnv& env) {
  api::v1::TerminateWorkflowExecutionRequest request;
  request.set_namespace_(env.options().ns);
  *request.mutable_workflow_execution() = args.execution.ToProto();
  request.set_reason(args.reason);
  request.set_identity(env.identity());
  auto response = env.client().Call(&Stub::TerminateWorkflowExecution, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << "workflow \"" << args.execution.workflow_id << "\" terminated\n";
  return kExitOk;
}

// ---- reset ----

struct ResetArgs {
  ExecutionArgs execution;
  int64_t event_id = 0;
  std::string type;  // first | last: the first or last completed workflow task
  std::string reason;
  bool skip_signal_reapply = false;
};

int RunReset(const ResetArgs& args, CommandEnv& env) {
  if ((args.event_id > 0) == !args.type.empty()) {
    return env.Fail(absl::InvalidArgumentError(
        "give exactly one of --event-id N (a WorkflowTaskCompleted, WorkflowTaskFailed or "
        "WorkflowTaskTimedOut event; see `weft workflow history`) and --type first|last"));
  }
  api::v1::ResetWorkflowExecutionRequest request;
  request.set_namespace_(env.options().ns);
  *request.mutable_workflow_execution() = args.execution.ToProto();
  int64_t event_id = args.event_id;
  if (!args.type.empty()) {
    if (args.type != "first" && args.type != "last") {
      return env.Fail(absl::InvalidArgumentError(
          absl::StrCat("--type must be first or last, not \"", args.type, "\"")));
    }
    // The first or last completed workflow task of the run.
    api::v1::GetWorkflowExecutionHistoryRequest hreq;
    hreq.set_namespace_(env.options().ns);
    *hreq.mutable_execution() = args.execution.ToProto();
    do {
      auto page = env.client().Call(&Stub::GetWorkflowExecutionHistory, hreq);
      if (!page.ok()) return env.Fail(page.status());
      for (const auto& e : page->history().events()) {
        if (e.event_type() != api::v1::EVENT_TYPE_WORKFLOW_TASK_COMPLETED) continue;
        if (args.type == "last" || event_id == 0) event_id = e.event_id();
      }
      hreq.set_next_page_token(page->next_page_token());
    } while (!hreq.next_page_token().empty());
    if (event_id == 0) {
      return env.Fail(
          absl::FailedPreconditionError("the run has no completed workflow task to reset to yet"));
    }
  }
  request.set_workflow_task_finish_event_id(event_id);
  request.set_reason(args.reason);
  request.set_identity(env.identity());
  request.set_request_id(NewUuidV4());
  request.set_skip_signal_reapply(args.skip_signal_reapply);
  auto response = env.client().Call(&Stub::ResetWorkflowExecution, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << "workflow \"" << args.execution.workflow_id << "\" reset to event " << event_id
            << "; new run " << response->run_id() << "\n";
  return kExitOk;
}

constexpr char kResultFooter[] =
    "Prints the result as JSON on stdout (no payload: null; several payloads: a JSON array).\n"
    "Exit codes:\n"
    "  0  the workflow completed; its result is on stdout\n"
    "  1  the workflow failed, was canceled, was terminated or timed out; why is on stderr\n"
    "  2  --timeout passed before the workflow closed\n"
    "  3  the command failed (bad arguments, workflow not found, server unreachable, ...)";

}  // namespace

void AddWorkflowCommands(CLI::App& root, std::vector<Command>& commands) {
  CLI::App* wf = root.add_subcommand("workflow", "Start, inspect and control workflows");
  wf->require_subcommand(1);

  {
    auto args = std::make_shared<StartArgs>();
    CLI::App* cmd = wf->add_subcommand("start", "Start a workflow; prints its workflow and run id");
    cmd->add_option("-q,--task-queue", args->task_queue, "Task queue its workers poll")->required();
    cmd->add_option("-t,--type", args->type, "Workflow type name")->required();
    cmd->add_option("-w,--workflow-id", args->workflow_id, "Workflow id (default: a random UUID)");
    AddJsonOption(cmd, "-i,--input", args->inputs,
                  "One argument as JSON text, e.g. '\"world\"' or '{\"n\":1}'; repeat for more");
    cmd->add_option("--execution-timeout", args->execution_timeout,
                    "Limit on the whole execution including retries, e.g. 1h");
    cmd->add_option("--run-timeout", args->run_timeout, "Limit on one run, e.g. 30m");
    cmd->add_option("--task-timeout", args->task_timeout,
                    "Limit on one workflow task (server default: 10s)");
    cmd->add_option("--id-reuse-policy", args->id_reuse_policy,
                    "Whether a closed workflow's id may be reused")
        ->check(CLI::IsMember(IdReusePolicyFlagValues()));
    cmd->add_option("--priority", args->priority,
                    "1 (highest) to 5; its workflow and activity tasks are dispatched in this "
                    "order (server default: 3)")
        ->check(CLI::Range(1, 5));
    cmd->add_option("--search-attr", args->search_attrs,
                    "Search attribute Name=Value, the value read as the attribute's registered "
                    "type (keyword lists: a JSON array or a,b,c); repeat for more")
        ->allow_extra_args(false);
    cmd->add_option("--traceparent", args->traceparent,
                    "W3C traceparent to continue (00-<trace id>-<span id>-<flags>); the run's "
                    "events, tasks and log lines carry its trace id (default: a new trace)");
    commands.push_back({cmd, [args](CommandEnv& env) { return RunStart(*args, env); }});
  }
  {
    auto args = std::make_shared<ResultArgs>();
    CLI::App* cmd =
        wf->add_subcommand("result", "Wait for a workflow to close and print its result");
    AddExecutionOptions(cmd, args->execution);
    cmd->add_option("--timeout", args->timeout,
                    "Give up after this long, e.g. 5m (default: wait forever)");
    cmd->footer(kResultFooter);
    commands.push_back({cmd, [args](CommandEnv& env) { return RunResult(*args, env); }});
  }
  {
    auto args = std::make_shared<ExecutionArgs>();
    CLI::App* cmd = wf->add_subcommand(
        "describe", "Show a workflow's status, pending activities and pending timers");
    AddExecutionOptions(cmd, *args);
    commands.push_back({cmd, [args](CommandEnv& env) { return RunDescribe(*args, env); }});
  }
  {
    auto args = std::make_shared<ListArgs>();
    CLI::App* cmd = wf->add_subcommand("list", "List workflows, newest first");
    cmd->add_option("--status", args->status, "Only workflows with this status")
        ->check(CLI::IsMember(StatusFlagValues()));
    cmd->add_option("-t,--type", args->type, "Only workflows of this type");
    cmd->add_option("--query", args->query,
                    "List query, e.g. \"WorkflowType = 'Greeting' AND StartTime > "
                    "'2026-01-01T00:00:00Z' ORDER BY StartTime ASC\" (ANDed with the flags above)");
    cmd->add_option("--limit", args->limit, "Show at most this many (default: all)")
        ->check(CLI::Range(1, 1000000));
    commands.push_back({cmd, [args](CommandEnv& env) { return RunList(*args, env); }});
  }
  {
    auto args = std::make_shared<ExecutionArgs>();
    CLI::App* cmd = wf->add_subcommand("history", "Print a run's events, one per line");
    AddExecutionOptions(cmd, *args);
    commands.push_back({cmd, [args](CommandEnv& env) { return RunHistory(*args, env); }});
  }
  {
    auto args = std::make_shared<QueryArgs>();
    CLI::App* cmd = wf->add_subcommand(
        "query", "Ask a workflow a question answered by its query handler; prints the JSON answer");
    AddExecutionOptions(cmd, args->execution);
    cmd->add_option("--name", args->name, "Query type, e.g. count")->required();
    AddJsonOption(cmd, "-i,--input", args->inputs,
                  "One query argument as JSON text; repeat for more");
    cmd->add_option("--timeout", args->timeout, "How long to wait for a worker's answer")
        ->capture_default_str();
    commands.push_back({cmd, [args](CommandEnv& env) { return RunQuery(*args, env); }});
  }
  {
    auto args = std::make_shared<SignalArgs>();
    CLI::App* cmd = wf->add_subcommand("signal", "Send a signal to a running workflow");
    AddExecutionOptions(cmd, args->execution);
    cmd->add_option("--name", args->name, "Signal name")->required();
    AddJsonOption(cmd, "-i,--input", args->inputs,
                  "One signal argument as JSON text; repeat for more");
    cmd->add_option("--traceparent", args->traceparent,
                    "W3C traceparent to continue (default: a new trace)");
    commands.push_back({cmd, [args](CommandEnv& env) { return RunSignal(*args, env); }});
  }
  {
    auto args = std::make_shared<ReasonArgs>();
    CLI::App* cmd = wf->add_subcommand(
        "cancel", "Ask a workflow to cancel (it decides how; see `terminate` to force)");
    AddExecutionOptions(cmd, args->execution);
    cmd->add_option("--reason", args->reason, "Why, recorded in the history");
    commands.push_back({cmd, [args](CommandEnv& env) { return RunCancel(*args, env); }});
  }
  {
    auto args = std::make_shared<ReasonArgs>();
    CLI::App* cmd =
        wf->add_subcommand("terminate", "Stop a workflow at once, without running any of its code");
    AddExecutionOptions(cmd, args->execution);
    cmd->add_option("--reason", args->reason, "Why, recorded in the history")->required();
    commands.push_back({cmd, [args](CommandEnv& env) { return RunTerminate(*args, env); }});
  }
  {
    auto args = std::make_shared<ResetArgs>();
    CLI::App* cmd = wf->add_subcommand(
        "reset",
        "Start a new run from the history up to a workflow task (the current run is "
        "terminated); signals received after that point are sent again");
    AddExecutionOptions(cmd, args->execution);
    cmd->add_option("--event-id", args->event_id,
                    "A WorkflowTaskCompleted/Failed/TimedOut event id to reset to");
    cmd->add_option("--type", args->type,
                    "Instead of --event-id: first or last completed workflow task");
    cmd->add_option("--reason", args->reason, "Why, recorded in both runs' histories")->required();
    cmd->add_flag("--skip-signal-reapply", args->skip_signal_reapply,
                  "Do not send the signals received after the reset point again");
    commands.push_back({cmd, [args](CommandEnv& env) { return RunReset(*args, env); }});
  }
  AddWorkflowCountCommand(*wf, commands);
  AddWorkflowTraceCommand(*wf, commands);
}

}  // namespace weft::cli
