#include "replayer.h"

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <typeinfo>

#include "absl/strings/str_cat.h"
#include "proto_time.h"
#include "weft/errors.h"
#include "workflow_runtime.h"

namespace weft {
namespace {

using api::v1::Command;
using api::v1::EventType;
using api::v1::HistoryEvent;

std::string TypeName(const std::exception& e) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status), std::free);
  return status == 0 && demangled ? std::string(demangled.get()) : typeid(e).name();
}

Command FailCommand(const std::string& message, const std::string& type, bool non_retryable) {
  Command c;
  c.set_command_type(api::v1::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION);
  auto* failure = c.mutable_fail_workflow_execution_command_attributes()->mutable_failure();
  failure->set_message(message);
  failure->set_type(type);
  failure->set_non_retryable(non_retryable);
  return c;
}

// The command that closes the run, from the finished root coroutine (or the error that kept
// it from starting).
Command CloseCommand(std::optional<Workflow<api::v1::Payloads>>& root,
                     const std::exception_ptr& start_error, bool cancel_requested) {
  try {
    if (start_error) std::rethrow_exception(start_error);
    api::v1::Payloads result = root->handle().promise().TakeResult();
    Command c;
    c.set_command_type(api::v1::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
    *c.mutable_complete_workflow_execution_command_attributes()->mutable_result() =
        std::move(result);
    return c;
  } catch (const ContinueAsNewError& e) {
    Command c;
    c.set_command_type(api::v1::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
    auto* a = c.mutable_continue_as_new_workflow_execution_command_attributes();
    *a->mutable_input() = e.input();
    const ContinueAsNewOptions& o = e.options();
    if (!o.workflow_type.empty()) a->mutable_workflow_type()->set_name(o.workflow_type);
    if (!o.task_queue.empty()) a->mutable_task_queue()->set_name(o.task_queue);
    if (o.run_timeout.count() > 0) {
      *a->mutable_workflow_run_timeout() = detail::ToProtoDuration(o.run_timeout);
    }
    if (o.task_timeout.count() > 0) {
      *a->mutable_workflow_task_timeout() = detail::ToProtoDuration(o.task_timeout);
    }
    return c;
  } catch (const detail::NondeterminismError&) {
    throw;
  } catch (const CanceledError& e) {
    if (cancel_requested) {
      Command c;
      c.set_command_type(api::v1::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION);
      *c.mutable_cancel_workflow_execution_command_attributes()->mutable_details() = e.details();
      return c;
    }
    return FailCommand(e.what(), "CanceledError", false);
  } catch (const ApplicationError& e) {
    return FailCommand(e.what(), e.type(), e.non_retryable());
  } catch (const ActivityError& e) {
    return FailCommand(e.what(), e.type(), false);
  } catch (const PayloadError& e) {
    return FailCommand(e.what(), "PayloadError", true);
  } catch (const std::exception& e) {
    return FailCommand(e.what(), TypeName(e), false);
  } catch (...) {
    return FailCommand("unknown exception", "UnknownError", false);
  }
}

// The command events recorded for the workflow task completed at events[index].
std::vector<const HistoryEvent*> CommandEventsOf(const api::v1::History& history, int index) {
  std::vector<const HistoryEvent*> out;
  int64_t completed_id = history.events(index).event_id();
  for (int j = index + 1; j < history.events_size(); ++j) {
    const HistoryEvent& e = history.events(j);
    if (e.event_type() == EventType::EVENT_TYPE_WORKFLOW_TASK_STARTED) break;
    int64_t id = 0;
    if (detail::IsCommandEvent(e, &id) && id == completed_id) out.push_back(&e);
  }
  return out;
}

}  // namespace

ReplayResult Replayer::Replay(const api::v1::History& history,
                              const api::v1::WorkflowExecution& execution,
                              std::string_view namespace_name) const {
  return Run(history, execution, namespace_name, nullptr, nullptr);
}

QueryResult Replayer::Query(const api::v1::History& history,
                            const api::v1::WorkflowExecution& execution,
                            std::string_view namespace_name,
                            const api::v1::WorkflowQuery& query) const {
  QueryResult out;
  ReplayResult replay = Run(history, execution, namespace_name, &query, &out);
  if (replay.task_failed) {
    out.answered = false;
    out.error = absl::StrCat("replay failed: ", replay.message);
  }
  return out;
}

ReplayResult Replayer::Run(const api::v1::History& history,
                           const api::v1::WorkflowExecution& execution,
                           std::string_view namespace_name, const api::v1::WorkflowQuery* query,
                           QueryResult* query_result) const {
  ReplayResult result;
  auto fail_task = [&result](api::v1::WorkflowTaskFailedCause cause, std::string message) {
    result.task_failed = true;
    result.cause = cause;
    result.message = std::move(message);
    result.commands.clear();
    return result;
  };
  if (history.events_size() == 0 ||
      history.events(0).event_type() != EventType::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
    return fail_task(api::v1::WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
                     "history does not start with WorkflowExecutionStarted");
  }
  const auto& started = history.events(0).workflow_execution_started_event_attributes();
  WorkflowInfo info;
  info.namespace_name = std::string(namespace_name);
  info.workflow_id = execution.workflow_id();
  info.run_id = execution.run_id();
  info.workflow_type = started.workflow_type().name();
  info.task_queue = started.task_queue().name();
  info.attempt = started.attempt() > 0 ? started.attempt() : 1;
  info.continued_run_id = started.continued_execution_run_id();

  // Declared in this order so the coroutine frames die before the runtime they point into.
  detail::WorkflowRuntime runtime(info);
  WorkflowContext ctx(&runtime);
  std::optional<Workflow<api::v1::Payloads>> root;
  std::exception_ptr start_error;
  try {
    root.emplace(definition_.Start(ctx, started.input()));
  } catch (...) {
    start_error = std::current_exception();
  }

  bool root_scheduled = false;
  bool closed = false;
  std::vector<const HistoryEvent*> undelivered;
  google::protobuf::Timestamp task_started_time;

  // Runs the workflow code for one task; false when it diverged from history.
  auto run_task = [&](bool replaying, int64_t completed_event_id,
                      std::vector<const HistoryEvent*> expected) {
    runtime.BeginTask(detail::FromProtoTimestamp(task_started_time), replaying, completed_event_id,
                      std::move(expected));
    try {
      for (const HistoryEvent* e : undelivered) runtime.Deliver(*e);
      runtime.ApplyCancelRequest();
    } catch (const detail::NondeterminismError&) {
      // Recorded in the runtime (a cancel request's commands did not match).
    }
    undelivered.clear();
    if (runtime.failed()) return false;
    if (!root_scheduled) {
      root_scheduled = true;
      if (root) runtime.Schedule(root->handle());
    }
    runtime.RunReady();
    if (!closed && !runtime.failed() && (start_error || root->handle().done())) {
      closed = true;
      try {
        runtime.IssueCommand(CloseCommand(root, start_error, runtime.cancel_requested()));
      } catch (const detail::NondeterminismError&) {
        // Recorded in the runtime.
      }
    }
    runtime.EndTask();
    return !runtime.failed();
  };

  const int n = history.events_size();
  for (int i = 1; i < n; ++i) {
    const HistoryEvent& e = history.events(i);
    int64_t unused = 0;
    switch (e.event_type()) {
      case EventType::EVENT_TYPE_WORKFLOW_TASK_STARTED:
        task_started_time = e.event_time();
        // A query runs the code for the last events at the end, commands dropped.
        if (i == n - 1 && !closed && query == nullptr) {
          if (!run_task(false, 0, {})) break;
          result.commands = runtime.TakeCommands();
        }
        break;
      case EventType::EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        run_task(true, e.event_id(), CommandEventsOf(history, i));
        break;
      case EventType::EVENT_TYPE_WORKFLOW_TASK_FAILED:
      case EventType::EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
      case EventType::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
      case EventType::EVENT_TYPE_ACTIVITY_TASK_STARTED:
        break;
      default:
        // Command events were matched when their task was replayed.
        if (!detail::IsCommandEvent(e, &unused)) undelivered.push_back(&e);
        break;
    }
    if (runtime.failed()) {
      return fail_task(api::v1::WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR,
                       runtime.failure());
    }
  }
  if (query != nullptr) {
    // The events since the last completed task, as the next (or the in-flight) task sees
    // them: the same code on the same events reaches the same state, so the answer includes
    // e.g. a signal whose task is still running. Whatever the code decides is dropped.
    if (!closed && (!undelivered.empty() || !root_scheduled)) {
      run_task(false, 0, {});
      runtime.TakeCommands();
      if (runtime.failed()) {
        return fail_task(api::v1::WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR,
                         runtime.failure());
      }
    }
    detail::QueryOutcome outcome = runtime.RunQuery(query->query_type(), query->query_args());
    query_result->answered = outcome.answered;
    query_result->result = std::move(outcome.result);
    query_result->error = std::move(outcome.error);
  }
  return result;
}

}  // namespace weft
