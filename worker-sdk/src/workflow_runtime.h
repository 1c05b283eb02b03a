// detail::WorkflowRuntime: the state machine behind one WorkflowContext during one replay.
//
// It owns the futures of pending activities and timers, the signal channels and the queue of
// ready coroutines; it turns delivered history events into resolved futures and the
// workflow's calls into commands. In a task being replayed (one that already completed) each
// command is matched at once against the next command event recorded for that task, so that
// markers (SideEffect) can return recorded values and a mismatch stops the code where it
// diverged. In the current task commands are collected to be sent to the server.
//
// Two exceptions to strict in-order matching, both as in Temporal: a "Version" marker in
// history that the code does not ask for (its GetVersion call was removed once no run needed
// it) is skipped, and a ScheduleActivityTask that finds no matching event waits until the end
// of the task, because an activity canceled before its command was sent left no event.
//
// Thread safety: none; one replay runs on one thread. Owned by the Replayer.
#ifndef WEFT_SDK_SRC_WORKFLOW_RUNTIME_H_
#define WEFT_SDK_SRC_WORKFLOW_RUNTIME_H_

#include <chrono>
#include <coroutine>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "command_events.h"
#include "weft/api/v1/command.pb.h"
#include "weft/api/v1/history.pb.h"
#include "weft/child_workflow.h"
#include "weft/future.h"
#include "weft/signal_channel.h"
#include "weft/workflow_context.h"

namespace weft::detail {

// Thrown into workflow code when it diverges from history, to unwind it. The runtime keeps
// the message, so catching it in user code changes nothing.
class NondeterminismError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A cancellation scope's state (see weft::CancellationScope). Parents own their children.
struct ScopeState {
  bool canceled = false;
  std::vector<std::shared_ptr<ScopeState>> children;
  std::vector<std::string> activities;  // ids of activities started in the scope
  std::vector<std::string> timers;      // ids of timers started in the scope
  std::vector<std::string> child_workflows;  // ids of child workflows started in the scope
  std::shared_ptr<FutureState<void>> canceled_future;
};

// The outcome of a query handler.
struct QueryOutcome {
  bool answered = false;
  api::v1::Payloads result;  // when answered
  std::string error;         // when not
};

class WorkflowRuntime : public Scheduler {
 public:
  explicit WorkflowRuntime(WorkflowInfo info);
  WorkflowRuntime(const WorkflowRuntime&) = delete;
  WorkflowRuntime& operator=(const WorkflowRuntime&) = delete;

  // ---- driven by the replayer ----
  void Schedule(std::coroutine_handle<> handle) override { ready_.push_back(handle); }
  // Resumes ready coroutines until none is ready (or the run diverged from history).
  void RunReady();
  // Starts running one workflow task. `expected` are the command events recorded for it when
  // it is a completed task being replayed (`replaying`), empty for the current task.
  void BeginTask(std::chrono::system_clock::time_point now, bool replaying,
                 int64_t completed_event_id, std::vector<const api::v1::HistoryEvent*> expected);
  // Ends the task: in replay, every expected command event must have been matched.
  void EndTask();
  void Deliver(const api::v1::HistoryEvent& event);
  // After the task's events are delivered: a delivered cancel request cancels the root
  // scope. Not at delivery, so that a timer that fired (or an activity that finished) later
  // in the same batch is not canceled after the fact.
  void ApplyCancelRequest();
  // In replay: matches `command` against the next expected event and returns that event
  // (throws NondeterminismError on a mismatch). Otherwise queues it and returns nullptr.
  const api::v1::HistoryEvent* IssueCommand(api::v1::Command command);
  std::vector<api::v1::Command> TakeCommands() { return std::move(commands_); }
  // After a task that ran live (not replaying) was recorded: gives the work its commands
  // started the event ids from `events`, that task's command events (workflow_instance.cc).
  void BindCommandEvents(const std::vector<const api::v1::HistoryEvent*>& events);
  bool failed() const { return failure_.has_value(); }
  const std::string& failure() const { return *failure_; }

  // Runs the handler of query `type` against the current state. Commands it tries to issue
  // fail the query and are not kept.
  QueryOutcome RunQuery(const std::string& type, const api::v1::Payloads& args);

  // ---- used by WorkflowContext ----
  // `scope` null: the root scope.
  ActivityFuture<api::v1::Payloads> ScheduleActivity(std::string_view name,
                                                     const ActivityOptions& options,
                                                     api::v1::Payloads input, ScopeState* scope);
  void RequestCancelActivity(const std::string& activity_id);
  TimerFuture StartTimer(std::chrono::milliseconds duration, ScopeState* scope);
  void CancelTimer(const std::string& timer_id);
  SignalChannel& Channel(std::string_view name);
  api::v1::Payload SideEffect(const std::function<api::v1::Payload()>& fn);
  api::v1::Payload MutableSideEffect(std::string_view id,
                                     const std::function<api::v1::Payload()>& fn);
  int GetVersion(std::string_view change_id, int min_supported, int max_supported);
  void SetQueryHandler(std::string_view name,
                       std::function<api::v1::Payloads(const api::v1::Payloads&)> fn);
  std::shared_ptr<ScopeState> NewScope(ScopeState* parent);
  void CancelScope(ScopeState& scope);
  ScopeState* root_scope() const { return root_scope_.get(); }
  Future<void> ScopeCanceled(ScopeState& scope);
  std::chrono::system_clock::time_point now() const { return now_; }
  uint64_t Random() { return rng_(); }
  bool cancel_requested() const { return cancel_requested_->ready(); }
  Future<void> CancelRequested() { return Future<void>(cancel_requested_); }
  const WorkflowInfo& info() const { return info_; }
  bool replaying() const { return replaying_; }

  // ---- child and external workflows (child_workflows.cc) ----
  ChildWorkflowFuture<api::v1::Payloads> StartChild(std::string_view type,
                                                    const ChildWorkflowOptions& options,
                                                    api::v1::Payloads input, ScopeState* scope);
  void RequestCancelChild(const std::string& workflow_id);
  Future<void> SignalExternal(std::string_view workflow_id, std::string_view run_id,
                              std::string_view signal_name, api::v1::Payloads input,
                              bool child_workflow_only);
  Future<void> RequestCancelExternal(std::string_view workflow_id, std::string_view run_id);

 private:
  struct PendingChild {
    std::string workflow_id;
    std::string workflow_type;
    std::shared_ptr<FutureState<std::string>> started;  // the run id
    std::shared_ptr<FutureState<api::v1::Payloads>> result;
    int64_t initiated_event_id = 0;  // 0: its start command was not sent yet
    std::string run_id;              // set once started
    bool cancel_requested = false;
    bool cancel_sent = false;
  };
  // Resolves child and external-request futures from their events; false if `e` is not one.
  bool DeliverChildEvent(const api::v1::HistoryEvent& e);
  PendingChild* FindChild(int64_t initiated_event_id, const std::string& workflow_id);
  void SendChildCancel(PendingChild& child);
  std::exception_ptr ChildError(const PendingChild& child, const std::string& message,
                                const std::string& type) const;
  std::map<std::string, PendingChild> children_;  // by workflow id
  int64_t child_sequence_ = 0;
  // SignalExternal / RequestCancelExternal futures by their command's `control` (a sequence
  // number), and the control of each initiated event matched in replay.
  std::map<std::string, std::shared_ptr<FutureState<void>>> external_requests_;
  std::map<int64_t, std::string> external_by_initiated_;
  std::map<std::string, std::string> cancel_targets_;  // control -> workflow id

  struct PendingActivity {
    std::string activity_id;
    std::string activity_type;
    std::shared_ptr<FutureState<api::v1::Payloads>> state;
    int64_t scheduled_event_id = 0;  // 0: its schedule command was not sent yet
    bool cancel_requested = false;
    ActivityCancellationType cancellation_type =
        ActivityCancellationType::kWaitCancellationCompleted;
  };

  std::string NextId() { return std::to_string(++sequence_); }
  [[noreturn]] void Diverged(std::string message);
  void ResolveActivity(int64_t scheduled_event_id, const api::v1::HistoryEvent& event);
  // In replay: skips Version markers at the next expected position, remembering their
  // versions, unless one is for `wanted_change_id`.
  void SkipUnrequestedVersionMarkers(std::string_view wanted_change_id);
  std::exception_ptr CanceledActivityError(const PendingActivity& activity) const;

  WorkflowInfo info_;
  std::mt19937_64 rng_;
  int64_t sequence_ = 0;
  std::chrono::system_clock::time_point now_;
  std::deque<std::coroutine_handle<>> ready_;

  bool replaying_ = false;
  int64_t completed_event_id_ = 0;
  std::vector<const api::v1::HistoryEvent*> expected_;
  size_t next_expected_ = 0;
  std::vector<api::v1::Command> commands_;
  std::optional<std::string> failure_;

  std::map<std::string, PendingActivity> activities_;  // by activity id
  std::map<int64_t, std::string> activity_by_scheduled_event_;
  std::map<std::string, std::shared_ptr<FutureState<void>>> timers_;
  std::map<std::string, std::unique_ptr<SignalChannel>, std::less<>> channels_;
  std::shared_ptr<FutureState<void>> cancel_requested_;
  std::shared_ptr<ScopeState> root_scope_;
  bool root_cancel_pending_ = false;
  // Replay: activities whose schedule found no event yet, by id -> the command's description.
  std::map<std::string, std::string> deferred_schedules_;
  std::map<std::string, int, std::less<>> versions_;                           // by change id
  std::map<std::string, api::v1::Payload, std::less<>> mutable_side_effects_;  // by id
  std::map<std::string, std::function<api::v1::Payloads(const api::v1::Payloads&)>, std::less<>>
      query_handlers_;
  bool in_query_ = false;
};

}  // namespace weft::detail

#endif  // WEFT_SDK_SRC_WORKFLOW_RUNTIME_H_
