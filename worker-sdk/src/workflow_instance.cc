#include "workflow_instance.h"

#include <cxxabi.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <typeinfo>

#include "absl/strings/str_cat.h"
#include "proto_time.h"
#include "weft/errors.h"

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
  } catch (const ChildWorkflowError& e) {
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

WorkflowInfo MakeInfo(const HistoryEvent& started_event,
                      const api::v1::WorkflowExecution& execution,
                      std::string_view namespace_name) {
  const auto& started = started_event.workflow_execution_started_event_attributes();
  WorkflowInfo info;
  info.namespace_name = std::string(namespace_name);
  info.workflow_id = execution.workflow_id();
  info.run_id = execution.run_id();
  info.workflow_type = started.workflow_type().name();
  info.task_queue = started.task_queue().name();
  info.attempt = started.attempt() > 0 ? started.attempt() : 1;
  info.continued_run_id = started.continued_execution_run_id();
  return info;
}

}  // namespace

WorkflowInstance::WorkflowInstance(const WorkflowDefinition& definition,
                                   const HistoryEvent& started,
                                   const api::v1::WorkflowExecution& execution,
                                   std::string_view namespace_name)
    : runtime_(MakeInfo(started, execution, namespace_name)), ctx_(&runtime_) {
  try {
    root_.emplace(
        definition.Start(ctx_, started.workflow_execution_started_event_attributes().input()));
  } catch (...) {
    start_error_ = std::current_exception();
  }
}

bool WorkflowInstance::RunTask(bool replaying, int64_t completed_event_id,
                               std::vector<const HistoryEvent*> expected) {
  runtime_.BeginTask(detail::FromProtoTimestamp(task_started_time_), replaying, completed_event_id,
                     std::move(expected));
  try {
    for (const HistoryEvent* e : undelivered_) runtime_.Deliver(*e);
    runtime_.ApplyCancelRequest();
  } catch (const detail::NondeterminismError&) {
    // Recorded in the runtime (a cancel request's commands did not match).
  }
  undelivered_.clear();
  if (runtime_.failed()) return false;
  if (!root_scheduled_) {
    root_scheduled_ = true;
    if (root_) runtime_.Schedule(root_->handle());
  }
  runtime_.RunReady();
  if (!closed_ && !runtime_.failed() && (start_error_ || root_->handle().done())) {
    closed_ = true;
    try {
      runtime_.IssueCommand(CloseCommand(root_, start_error_, runtime_.cancel_requested()));
    } catch (const detail::NondeterminismError&) {
      // Recorded in the runtime.
    }
  }
  runtime_.EndTask();
  return !runtime_.failed();
}

std::optional<ReplayResult> WorkflowInstance::Advance(const api::v1::History& history, int first,
                                                      const api::v1::WorkflowQuery* query,
                                                      QueryResult* query_result) {
  const auto advance_start = std::chrono::steady_clock::now();
  ReplayResult result;
  auto fail_task = [&result](api::v1::WorkflowTaskFailedCause cause, std::string message) {
    result.task_failed = true;
    result.cause = cause;
    result.message = std::move(message);
    result.commands.clear();
    return result;
  };
  const int n = history.events_size();
  for (int i = first; i < n; ++i) {
    const HistoryEvent& e = history.events(i);
    if (live_started_event_id_ != 0) {
      // The code already ran the task started at live_started_event_id_ and its commands went
      // to the server. If the server accepted them, the next event is that task's
      // WorkflowTaskCompleted followed by the events of those commands: bind them (the
      // activities' scheduled event ids, ...) instead of running the code again. Anything
      // else means the answer was refused or lost, and this state is not the run's.
      if (e.event_type() != EventType::EVENT_TYPE_WORKFLOW_TASK_COMPLETED ||
          e.workflow_task_completed_event_attributes().started_event_id() !=
              live_started_event_id_) {
        live_started_event_id_ = 0;
        closed_ = true;  // unusable from now on
        return std::nullopt;
      }
      live_started_event_id_ = 0;
      runtime_.BindCommandEvents(CommandEventsOf(history, i));
      continue;
    }
    int64_t unused = 0;
    switch (e.event_type()) {
      case EventType::EVENT_TYPE_WORKFLOW_TASK_STARTED:
        task_started_time_ = e.event_time();
        // A query runs the code for the last events at the end, commands dropped.
        if (i == n - 1 && !closed_ && query == nullptr) {
          result.replay_time = std::chrono::steady_clock::now() - advance_start;
          if (!RunTask(false, 0, {})) break;
          result.commands = runtime_.TakeCommands();
          live_started_event_id_ = e.event_id();
        }
        break;
      case EventType::EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        RunTask(true, e.event_id(), CommandEventsOf(history, i));
        break;
      case EventType::EVENT_TYPE_WORKFLOW_TASK_FAILED:
      case EventType::EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
      case EventType::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
      case EventType::EVENT_TYPE_ACTIVITY_TASK_STARTED:
        break;
      default:
        // Command events were matched when their task was replayed.
        if (!detail::IsCommandEvent(e, &unused)) undelivered_.push_back(&e);
        break;
    }
    if (runtime_.failed()) {
      live_started_event_id_ = 0;
      return fail_task(api::v1::WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR,
                       runtime_.failure());
    }
  }
  if (query != nullptr) {
    // The events since the last completed task, as the next (or the in-flight) task sees
    // them: the same code on the same events reaches the same state, so the answer includes
    // e.g. a signal whose task is still running. Whatever the code decides is dropped.
    if (!closed_ && (!undelivered_.empty() || !root_scheduled_)) {
      RunTask(false, 0, {});
      runtime_.TakeCommands();
      if (runtime_.failed()) {
        return fail_task(api::v1::WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR,
                         runtime_.failure());
      }
    }
    detail::QueryOutcome outcome = runtime_.RunQuery(query->query_type(), query->query_args());
    query_result->answered = outcome.answered;
    query_result->result = std::move(outcome.result);
    query_result->error = std::move(outcome.error);
    closed_ = true;  // a query's code run dropped its commands: never continue this instance
  }
  // Pointers into `history` must not outlive this call.
  if (!undelivered_.empty()) closed_ = true;
  return result;
}

namespace detail {

// After a task ran live, its commands carried no event ids. Once the server recorded them,
// give the pending work the ids a replay of that task would have matched, so that later
// events (an activity's outcome, a cancel request) find it.
void WorkflowRuntime::BindCommandEvents(const std::vector<const HistoryEvent*>& events) {
  for (const HistoryEvent* e : events) {
    switch (e->event_type()) {
      case EventType::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        auto it = activities_.find(e->activity_task_scheduled_event_attributes().activity_id());
        if (it != activities_.end() && it->second.scheduled_event_id == 0) {
          it->second.scheduled_event_id = e->event_id();
          activity_by_scheduled_event_[e->event_id()] = it->first;
        }
        break;
      }
      case EventType::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: {
        auto it = children_.find(
            e->start_child_workflow_execution_initiated_event_attributes().workflow_id());
        if (it != children_.end() && it->second.initiated_event_id == 0) {
          it->second.initiated_event_id = e->event_id();
        }
        break;
      }
      case EventType::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: {
        const std::string& control =
            e->signal_external_workflow_execution_initiated_event_attributes().control();
        if (external_requests_.contains(control)) external_by_initiated_[e->event_id()] = control;
        break;
      }
      case EventType::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: {
        const std::string& control =
            e->request_cancel_external_workflow_execution_initiated_event_attributes().control();
        if (external_requests_.contains(control)) external_by_initiated_[e->event_id()] = control;
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace detail

}  // namespace weft
