#include "workflow_runtime.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proto_time.h"
#include "weft/errors.h"

namespace weft::detail {
namespace {

using api::v1::Command;
using api::v1::HistoryEvent;

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

constexpr const char* kSideEffectMarker = "SideEffect";
constexpr const char* kVersionMarker = "Version";
constexpr const char* kMutableSideEffectMarker = "MutableSideEffect";

// The first payload of marker detail `key` as T, if present and decodable.
template <typename T>
std::optional<T> MarkerDetail(const HistoryEvent& e, const std::string& key) {
  const auto& details = e.marker_recorded_event_attributes().details();
  auto it = details.find(key);
  if (it == details.end() || it->second.payloads_size() == 0) return std::nullopt;
  auto value = DecodePayload<T>(it->second.payloads(0));
  if (!value.ok()) return std::nullopt;
  return *value;
}

bool SamePayload(const api::v1::Payload& a, const api::v1::Payload& b) {
  if (a.data() != b.data() || a.metadata_size() != b.metadata_size()) return false;
  for (const auto& [key, value] : a.metadata()) {
    auto it = b.metadata().find(key);
    if (it == b.metadata().end() || it->second != value) return false;
  }
  return true;
}

bool IsMarker(const HistoryEvent& e, const char* name) {
  return e.event_type() == api::v1::EVENT_TYPE_MARKER_RECORDED &&
         e.marker_recorded_event_attributes().marker_name() == name;
}

}  // namespace

WorkflowRuntime::WorkflowRuntime(WorkflowInfo info)
    : info_(std::move(info)),
      rng_(Fnv1a(info_.run_id)),
      cancel_requested_(std::make_shared<FutureState<void>>(this)),
      root_scope_(NewScope(nullptr)) {}

void WorkflowRuntime::ApplyCancelRequest() {
  if (!root_cancel_pending_) return;
  root_cancel_pending_ = false;
  CancelScope(*root_scope_);
}

void WorkflowRuntime::RunReady() {
  while (!ready_.empty() && !failed()) {
    std::coroutine_handle<> handle = ready_.front();
    ready_.pop_front();
    handle.resume();
  }
}

void WorkflowRuntime::BeginTask(std::chrono::system_clock::time_point now, bool replaying,
                                int64_t completed_event_id,
                                std::vector<const HistoryEvent*> expected) {
  now_ = now;
  replaying_ = replaying;
  completed_event_id_ = completed_event_id;
  expected_ = std::move(expected);
  next_expected_ = 0;
}

void WorkflowRuntime::EndTask() {
  if (failed() || !replaying_) return;
  SkipUnrequestedVersionMarkers("");
  if (!deferred_schedules_.empty()) {
    const std::string& issued = deferred_schedules_.begin()->second;
    if (next_expected_ < expected_.size()) {
      const HistoryEvent& e = *expected_[next_expected_];
      failure_ = absl::StrCat("non-deterministic workflow: history has ", DescribeEvent(e),
                              " at event ", e.event_id(), ", the code issued ", issued);
    } else {
      failure_ = absl::StrCat(
          "non-deterministic workflow: history has no further command for the workflow task "
          "completed at event ",
          completed_event_id_, ", the code issued ", issued);
    }
    return;
  }
  if (next_expected_ >= expected_.size()) return;
  const HistoryEvent& e = *expected_[next_expected_];
  failure_ = absl::StrCat("non-deterministic workflow: history has ", DescribeEvent(e),
                          " at event ", e.event_id(), ", the code issued no further command");
}

void WorkflowRuntime::Diverged(std::string message) {
  if (!failure_) failure_ = std::move(message);
  throw NondeterminismError(*failure_);
}

void WorkflowRuntime::SkipUnrequestedVersionMarkers(std::string_view wanted_change_id) {
  while (next_expected_ < expected_.size() &&
         IsMarker(*expected_[next_expected_], kVersionMarker)) {
    const HistoryEvent& e = *expected_[next_expected_];
    std::string change_id = MarkerDetail<std::string>(e, "change_id").value_or("");
    if (!wanted_change_id.empty() && change_id == wanted_change_id) return;
    std::optional<int> version = MarkerDetail<int>(e, "version");
    if (version) versions_.emplace(change_id, *version);
    ++next_expected_;
  }
}

const HistoryEvent* WorkflowRuntime::IssueCommand(Command command) {
  if (in_query_) {
    throw std::logic_error(absl::StrCat("a query handler must not issue commands (it issued ",
                                        DescribeCommand(command), ")"));
  }
  if (failed()) throw NondeterminismError(*failure_);
  if (!replaying_) {
    commands_.push_back(std::move(command));
    return nullptr;
  }
  bool is_version_marker =
      command.command_type() == api::v1::COMMAND_TYPE_RECORD_MARKER &&
      command.record_marker_command_attributes().marker_name() == kVersionMarker;
  if (!is_version_marker) SkipUnrequestedVersionMarkers("");
  if ((command.command_type() == api::v1::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK ||
       command.command_type() == api::v1::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION) &&
      (next_expected_ >= expected_.size() ||
       !CommandMatchesEvent(command, *expected_[next_expected_]))) {
    // Maybe canceled later in this task before it was sent; EndTask decides.
    std::string key =
        command.command_type() == api::v1::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK
            ? command.schedule_activity_task_command_attributes().activity_id()
            : "child:" + command.start_child_workflow_execution_command_attributes().workflow_id();
    deferred_schedules_[key] = DescribeCommand(command);
    return nullptr;
  }
  if (next_expected_ >= expected_.size()) {
    Diverged(
        absl::StrCat("non-deterministic workflow: history has no further command for the "
                     "workflow task completed at event ",
                     completed_event_id_, ", the code issued ", DescribeCommand(command)));
  }
  const HistoryEvent* event = expected_[next_expected_];
  if (!CommandMatchesEvent(command, *event)) {
    Diverged(absl::StrCat("non-deterministic workflow: history has ", DescribeEvent(*event),
                          " at event ", event->event_id(), ", the code issued ",
                          DescribeCommand(command)));
  }
  ++next_expected_;
  return event;
}

ActivityFuture<api::v1::Payloads> WorkflowRuntime::ScheduleActivity(std::string_view name,
                                                                    const ActivityOptions& options,
                                                                    api::v1::Payloads input,
                                                                    ScopeState* scope) {
  if (scope == nullptr) scope = root_scope_.get();
  auto state = std::make_shared<FutureState<api::v1::Payloads>>(this);
  if (scope->canceled) {
    state->SetError(std::make_exception_ptr(
        ActivityCanceledError(std::string(name), "",
                              absl::StrCat("activity ", std::string(name),
                                           " not started: its cancellation scope is canceled"))));
    return ActivityFuture<api::v1::Payloads>(Future<api::v1::Payloads>(state), this, "");
  }
  std::string id = NextId();
  Command command;
  command.set_command_type(api::v1::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK);
  auto* attrs = command.mutable_schedule_activity_task_command_attributes();
  attrs->set_activity_id(id);
  attrs->mutable_activity_type()->set_name(std::string(name));
  if (!options.task_queue.empty())
    attrs->mutable_task_queue()->set_name(std::string(options.task_queue));
  *attrs->mutable_input() = std::move(input);
  if (options.schedule_to_close.count() > 0) {
    *attrs->mutable_schedule_to_close_timeout() = ToProtoDuration(options.schedule_to_close);
  }
  if (options.schedule_to_start.count() > 0) {
    *attrs->mutable_schedule_to_start_timeout() = ToProtoDuration(options.schedule_to_start);
  }
  if (options.start_to_close.count() > 0) {
    *attrs->mutable_start_to_close_timeout() = ToProtoDuration(options.start_to_close);
  }
  if (options.heartbeat_timeout.count() > 0) {
    *attrs->mutable_heartbeat_timeout() = ToProtoDuration(options.heartbeat_timeout);
  }
  if (options.retry_policy) *attrs->mutable_retry_policy() = options.retry_policy->ToProto();
  attrs->set_priority(options.priority);

  const HistoryEvent* event = IssueCommand(std::move(command));
  PendingActivity activity{id, std::string(name), state};
  activity.cancellation_type = options.cancellation_type;
  if (event != nullptr) {
    activity_by_scheduled_event_[event->event_id()] = id;
    activity.scheduled_event_id = event->event_id();
  }
  activities_[id] = std::move(activity);
  scope->activities.push_back(id);
  return ActivityFuture<api::v1::Payloads>(Future<api::v1::Payloads>(state), this, id);
}

std::exception_ptr WorkflowRuntime::CanceledActivityError(const PendingActivity& activity) const {
  return std::make_exception_ptr(
      ActivityCanceledError(activity.activity_type, activity.activity_id,
                            absl::StrCat("activity ", activity.activity_type, " canceled")));
}

void WorkflowRuntime::RequestCancelActivity(const std::string& activity_id) {
  auto it = activities_.find(activity_id);
  if (it == activities_.end() || it->second.cancel_requested) return;  // done, or asked already
  PendingActivity& activity = it->second;
  if (activity.scheduled_event_id == 0) {
    // Its schedule command was not sent: drop it, nothing reaches the server.
    if (replaying_) {
      deferred_schedules_.erase(activity_id);
    } else {
      std::erase_if(commands_, [&activity_id](const Command& c) {
        return c.command_type() == api::v1::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK &&
               c.schedule_activity_task_command_attributes().activity_id() == activity_id;
      });
    }
    PendingActivity dropped = std::move(activity);
    activities_.erase(it);
    dropped.state->SetError(CanceledActivityError(dropped));
    return;
  }
  activity.cancel_requested = true;
  Command command;
  command.set_command_type(api::v1::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK);
  command.mutable_request_cancel_activity_task_command_attributes()->set_scheduled_event_id(
      activity.scheduled_event_id);
  int64_t scheduled_event_id = activity.scheduled_event_id;
  IssueCommand(std::move(command));
  if (activity.cancellation_type == ActivityCancellationType::kTryCancel) {
    // Resolve now; the server's later answer for it is ignored.
    PendingActivity canceled = std::move(activity);
    activities_.erase(it);
    activity_by_scheduled_event_.erase(scheduled_event_id);
    canceled.state->SetError(CanceledActivityError(canceled));
  }
}

std::shared_ptr<ScopeState> WorkflowRuntime::NewScope(ScopeState* parent) {
  auto scope = std::make_shared<ScopeState>();
  scope->canceled_future = std::make_shared<FutureState<void>>(this);
  if (parent != nullptr) {
    parent->children.push_back(scope);
    if (parent->canceled) {
      scope->canceled = true;
      scope->canceled_future->SetValue();
    }
  }
  return scope;
}

void WorkflowRuntime::CancelScope(ScopeState& scope) {
  if (scope.canceled) return;
  scope.canceled = true;
  // Copies: canceling may add to the lists (it never should, but stay safe).
  std::vector<std::string> activities = scope.activities;
  std::vector<std::string> timers = scope.timers;
  for (const std::string& id : activities) RequestCancelActivity(id);
  for (const std::string& id : timers) CancelTimer(id);
  std::vector<std::string> child_workflows = scope.child_workflows;
  for (const std::string& id : child_workflows) RequestCancelChild(id);
  std::vector<std::shared_ptr<ScopeState>> scopes = scope.children;
  for (const auto& child : scopes) CancelScope(*child);
  scope.canceled_future->SetValue();
}

Future<void> WorkflowRuntime::ScopeCanceled(ScopeState& scope) {
  return Future<void>(scope.canceled_future);
}

void WorkflowRuntime::ResolveActivity(int64_t scheduled_event_id, const HistoryEvent& e) {
  auto by_event = activity_by_scheduled_event_.find(scheduled_event_id);
  if (by_event == activity_by_scheduled_event_.end()) return;
  auto it = activities_.find(by_event->second);
  if (it == activities_.end()) return;
  PendingActivity activity = std::move(it->second);
  activities_.erase(it);
  activity_by_scheduled_event_.erase(by_event);

  using api::v1::EventType;
  auto fail = [&](const std::string& message, const std::string& type) {
    activity.state->SetError(std::make_exception_ptr(
        ActivityError(activity.activity_type, activity.activity_id, message, type)));
  };
  switch (e.event_type()) {
    case EventType::EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      activity.state->SetValue(e.activity_task_completed_event_attributes().result());
      break;
    case EventType::EVENT_TYPE_ACTIVITY_TASK_FAILED: {
      const auto& failure = e.activity_task_failed_event_attributes().failure();
      fail(failure.message(), failure.type().empty() ? "ApplicationError" : failure.type());
      break;
    }
    case EventType::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
      const auto& a = e.activity_task_timed_out_event_attributes();
      std::string message = absl::StrCat("activity ", activity.activity_type, " timed out (",
                                         api::v1::TimeoutType_Name(a.timeout_type()), ")");
      if (!a.failure().message().empty()) absl::StrAppend(&message, ": ", a.failure().message());
      fail(message, "TimeoutError");
      break;
    }
    default:
      activity.state->SetError(CanceledActivityError(activity));
      break;
  }
}

TimerFuture WorkflowRuntime::StartTimer(std::chrono::milliseconds duration, ScopeState* scope) {
  if (scope == nullptr) scope = root_scope_.get();
  auto state = std::make_shared<FutureState<void>>(this);
  if (scope->canceled) {
    state->SetError(std::make_exception_ptr(
        CanceledError("timer not started: its cancellation scope is canceled")));
    return TimerFuture(state, this, "");
  }
  if (duration.count() <= 0) {
    state->SetValue();
    return TimerFuture(state, this, "");
  }
  std::string id = NextId();
  Command command;
  command.set_command_type(api::v1::COMMAND_TYPE_START_TIMER);
  command.mutable_start_timer_command_attributes()->set_timer_id(id);
  *command.mutable_start_timer_command_attributes()->mutable_start_to_fire_timeout() =
      ToProtoDuration(duration);
  IssueCommand(std::move(command));
  timers_[id] = state;
  scope->timers.push_back(id);
  return TimerFuture(state, this, id);
}

void WorkflowRuntime::CancelTimer(const std::string& timer_id) {
  auto it = timers_.find(timer_id);
  if (it == timers_.end()) return;  // fired, canceled already, or never started
  Command command;
  command.set_command_type(api::v1::COMMAND_TYPE_CANCEL_TIMER);
  command.mutable_cancel_timer_command_attributes()->set_timer_id(timer_id);
  IssueCommand(std::move(command));
  auto state = std::move(it->second);
  timers_.erase(it);
  state->SetError(std::make_exception_ptr(CanceledError("timer " + timer_id + " canceled")));
}

SignalChannel& WorkflowRuntime::Channel(std::string_view name) {
  auto it = channels_.find(name);
  if (it == channels_.end()) {
    it = channels_
             .emplace(std::string(name), std::make_unique<SignalChannel>(this, std::string(name)))
             .first;
  }
  return *it->second;
}

api::v1::Payload WorkflowRuntime::SideEffect(const std::function<api::v1::Payload()>& fn) {
  Command command;
  command.set_command_type(api::v1::COMMAND_TYPE_RECORD_MARKER);
  auto* attrs = command.mutable_record_marker_command_attributes();
  attrs->set_marker_name(kSideEffectMarker);
  if (replaying_) {
    const HistoryEvent* event = IssueCommand(std::move(command));
    const auto& details = event->marker_recorded_event_attributes().details();
    auto it = details.find("data");
    if (it == details.end() || it->second.payloads_size() == 0) {
      Diverged(absl::StrCat("non-deterministic workflow: history has ", DescribeEvent(*event),
                            " at event ", event->event_id(), " without a recorded value"));
    }
    return it->second.payloads(0);
  }
  api::v1::Payload value = fn();
  *(*attrs->mutable_details())["data"].add_payloads() = value;
  IssueCommand(std::move(command));
  return value;
}

api::v1::Payload WorkflowRuntime::MutableSideEffect(std::string_view id,
                                                    const std::function<api::v1::Payload()>& fn) {
  auto last = mutable_side_effects_.find(id);
  if (replaying_) {
    // A marker here means the value changed at this point of the original run.
    SkipUnrequestedVersionMarkers("");
    if (next_expected_ < expected_.size()) {
      const HistoryEvent& e = *expected_[next_expected_];
      if (IsMarker(e, kMutableSideEffectMarker) &&
          MarkerDetail<std::string>(e, "id").value_or("") == id) {
        const auto& details = e.marker_recorded_event_attributes().details();
        auto data = details.find("data");
        if (data == details.end() || data->second.payloads_size() == 0) {
          Diverged(absl::StrCat("non-deterministic workflow: history has ", DescribeEvent(e),
                                " at event ", e.event_id(), " without a recorded value"));
        }
        ++next_expected_;
        return mutable_side_effects_.insert_or_assign(std::string(id), data->second.payloads(0))
            .first->second;
      }
    }
    if (last == mutable_side_effects_.end()) {
      Diverged(absl::StrCat("non-deterministic workflow: the code asked for MutableSideEffect(id=",
                            std::string(id), ") but history recorded no value for it"));
    }
    return last->second;
  }
  api::v1::Payload value = fn();
  if (last != mutable_side_effects_.end() && SamePayload(last->second, value)) {
    return value;
  }
  Command command;
  command.set_command_type(api::v1::COMMAND_TYPE_RECORD_MARKER);
  auto* attrs = command.mutable_record_marker_command_attributes();
  attrs->set_marker_name(kMutableSideEffectMarker);
  *(*attrs->mutable_details())["id"].add_payloads() = ToPayload(std::string(id));
  *(*attrs->mutable_details())["data"].add_payloads() = value;
  IssueCommand(std::move(command));
  mutable_side_effects_.insert_or_assign(std::string(id), value);
  return value;
}

int WorkflowRuntime::GetVersion(std::string_view change_id, int min_supported, int max_supported) {
  auto check = [&](int version) {
    if (version < min_supported || version > max_supported) {
      Diverged(absl::StrCat("workflow code does not support version ", version, " of change \"",
                            std::string(change_id), "\" any more (supported: ", min_supported, "..",
                            max_supported, ")"));
    }
    return version;
  };
  if (auto known = versions_.find(change_id); known != versions_.end()) {
    return check(known->second);
  }
  if (in_query_) {
    throw std::logic_error("a query handler must not call GetVersion for a new change id");
  }
  if (replaying_) {
    SkipUnrequestedVersionMarkers(change_id);
    int version = kDefaultVersion;
    if (next_expected_ < expected_.size() && IsMarker(*expected_[next_expected_], kVersionMarker)) {
      const HistoryEvent& e = *expected_[next_expected_];
      std::optional<int> recorded = MarkerDetail<int>(e, "version");
      if (!recorded) {
        Diverged(absl::StrCat("non-deterministic workflow: history has ", DescribeEvent(e),
                              " at event ", e.event_id(), " without a version"));
      }
      version = *recorded;
      ++next_expected_;
    }
    versions_.emplace(std::string(change_id), version);
    return check(version);
  }
  Command command;
  command.set_command_type(api::v1::COMMAND_TYPE_RECORD_MARKER);
  auto* attrs = command.mutable_record_marker_command_attributes();
  attrs->set_marker_name(kVersionMarker);
  *(*attrs->mutable_details())["change_id"].add_payloads() = ToPayload(std::string(change_id));
  *(*attrs->mutable_details())["version"].add_payloads() = ToPayload(max_supported);
  IssueCommand(std::move(command));
  versions_.emplace(std::string(change_id), max_supported);
  return max_supported;
}

void WorkflowRuntime::SetQueryHandler(
    std::string_view name, std::function<api::v1::Payloads(const api::v1::Payloads&)> fn) {
  query_handlers_.insert_or_assign(std::string(name), std::move(fn));
}

QueryOutcome WorkflowRuntime::RunQuery(const std::string& type, const api::v1::Payloads& args) {
  QueryOutcome out;
  auto it = query_handlers_.find(type);
  if (it == query_handlers_.end()) {
    std::vector<std::string> known;
    for (const auto& [name, unused] : query_handlers_) known.push_back(name);
    out.error =
        absl::StrCat("unknown query type '", type,
                     "' (known: ", known.empty() ? "none" : absl::StrJoin(known, ", "), ")");
    return out;
  }
  in_query_ = true;
  try {
    out.result = it->second(args);
    out.answered = true;
  } catch (const std::exception& e) {
    out.error = absl::StrCat("query '", type, "' failed: ", e.what());
  } catch (...) {
    out.error = absl::StrCat("query '", type, "' failed with an unknown exception");
  }
  in_query_ = false;
  return out;
}

void WorkflowRuntime::Deliver(const HistoryEvent& e) {
  using api::v1::EventType;
  switch (e.event_type()) {
    case EventType::EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      ResolveActivity(e.activity_task_completed_event_attributes().scheduled_event_id(), e);
      break;
    case EventType::EVENT_TYPE_ACTIVITY_TASK_FAILED:
      ResolveActivity(e.activity_task_failed_event_attributes().scheduled_event_id(), e);
      break;
    case EventType::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
      ResolveActivity(e.activity_task_timed_out_event_attributes().scheduled_event_id(), e);
      break;
    case EventType::EVENT_TYPE_ACTIVITY_TASK_CANCELED:
      ResolveActivity(e.activity_task_canceled_event_attributes().scheduled_event_id(), e);
      break;
    case EventType::EVENT_TYPE_TIMER_FIRED: {
      auto it = timers_.find(e.timer_fired_event_attributes().timer_id());
      if (it == timers_.end()) break;
      auto state = std::move(it->second);
      timers_.erase(it);
      state->SetValue();
      break;
    }
    case EventType::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
      Channel(e.workflow_execution_signaled_event_attributes().signal_name())
          .Deliver(e.workflow_execution_signaled_event_attributes().input());
      break;
    case EventType::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
      cancel_requested_->SetValue();
      root_cancel_pending_ = true;
      break;
    default:
      DeliverChildEvent(e);  // child_workflows.cc
      break;
  }
}

}  // namespace weft::detail
