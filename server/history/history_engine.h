// HistoryEngine: the single-node history service. Owns the shards, routes each workflow to
// its shard, and implements every state transition of a run (DESIGN.md section 3): start,
// workflow tasks and their commands, activity attempts, retries and timeouts, timers,
// signals, cancel and terminate. The handlers are split by concern over several files:
//   history_engine.cc          routing, start, signal, cancel, terminate, reads
//   workflow_task_handlers.cc  workflow task start / complete / fail, commands
//   activity_handlers.cc       activity start / heartbeat / complete / fail / cancel
//   task_handlers.cc           transfer tasks (dispatch to matching) and timer tasks
//   sticky_execution.cc        sticky queues: dispatch, schedule-to-start fallback, reset
//   eager_activities.cc        eager activity dispatch in the workflow-task completion
//   reset_handler.cc           ResetWorkflowExecution (with state_rebuilder.h)
//   child_workflow_handlers.cc child workflows, SignalExternal, RequestCancelExternal,
//                              reporting a closed child to its parent, parent-close policies
//
// Thread safety: thread-safe. Each transition holds its execution's lock from read to commit.
// Ownership: borrows Store, MatchingClient, Clock and Metrics; owns the shards.
#ifndef WEFT_SERVER_HISTORY_HISTORY_ENGINE_H_
#define WEFT_SERVER_HISTORY_HISTORY_ENGINE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "server/common/clock.h"
#include "server/common/metrics.h"
#include "server/history/circuit_breaker_registry.h"
#include "server/history/history_client.h"
#include "server/history/shard.h"
#include "server/history/transition.h"
#include "server/matching/matching_client.h"
#include "storage/group_committer.h"
#include "storage/store.h"

namespace weft::history {

class HistoryEngine : public HistoryClient {
 public:
  struct Options {
    int num_shards = 16;
    absl::Duration default_workflow_task_timeout = absl::Seconds(10);
    absl::Duration max_long_poll = absl::Seconds(60);
    // History limits (Temporal's defaults): past the suggestion a workflow task says
    // suggest_continue_as_new; past the limit the run is terminated rather than grow.
    int64_t suggest_continue_as_new_events = 4096;
    int64_t suggest_continue_as_new_bytes = 4 << 20;
    int64_t history_limit_events = 51200;
    int64_t history_limit_bytes = 50 << 20;
    // Server-side circuit breakers (circuit_breaker_registry.h); null: none. Borrowed.
    CircuitBreakerRegistry* circuit_breakers = nullptr;
  };

  HistoryEngine(storage::Store* store, matching::MatchingClient* matching, const Clock* clock,
                Metrics* metrics, Options options);
  ~HistoryEngine() override;

  // Opens every shard (bumping range ids, loading pending tasks) and starts the queues.
  absl::Status Start();
  // Wakes long polls (they return what they have) so the frontend can drain.
  void BeginShutdown() { stopping_ = true; }
  // Stops the queue processors and wakes long polls.
  void Stop();

  absl::StatusOr<api::v1::StartWorkflowExecutionResponse> StartWorkflowExecution(
      const NamespaceRef& ns, const api::v1::StartWorkflowExecutionRequest& request,
      const api::v1::SignalWithStartWorkflowExecutionRequest* signal) override;
  absl::StatusOr<api::v1::GetWorkflowExecutionHistoryResponse> GetWorkflowExecutionHistory(
      const NamespaceRef& ns, const api::v1::GetWorkflowExecutionHistoryRequest& request,
      absl::Time deadline) override;
  absl::StatusOr<api::v1::DescribeWorkflowExecutionResponse> DescribeWorkflowExecution(
      const NamespaceRef& ns, const api::v1::WorkflowExecution& execution) override;
  absl::StatusOr<api::v1::ListWorkflowExecutionsResponse> ListWorkflowExecutions(
      const NamespaceRef& ns, const api::v1::ListWorkflowExecutionsRequest& request) override;
  absl::StatusOr<api::v1::CountWorkflowExecutionsResponse> CountWorkflowExecutions(
      const NamespaceRef& ns, const api::v1::CountWorkflowExecutionsRequest& request) override;
  absl::Status SignalWorkflowExecution(
      const NamespaceRef& ns, const api::v1::SignalWorkflowExecutionRequest& request) override;
  absl::Status RequestCancelWorkflowExecution(
      const NamespaceRef& ns,
      const api::v1::RequestCancelWorkflowExecutionRequest& request) override;
  absl::Status TerminateWorkflowExecution(
      const NamespaceRef& ns, const api::v1::TerminateWorkflowExecutionRequest& request) override;
  absl::StatusOr<api::v1::ResetWorkflowExecutionResponse> ResetWorkflowExecution(
      const NamespaceRef& ns, const api::v1::ResetWorkflowExecutionRequest& request) override;

  // Resolves a namespace name for children and external workflows in another namespace
  // (history has no registry of its own). Until one is set, such targets are retried.
  using NamespaceResolver = std::function<absl::StatusOr<NamespaceRef>(const std::string& name)>;
  void SetNamespaceResolver(NamespaceResolver resolver);

  // The retention period of a namespace (by name). Closed runs are deleted that long after
  // they closed; without a lookup (or with a period <= 0) they are kept.
  using RetentionLookup = std::function<absl::Duration(const std::string& namespace_name)>;
  void SetRetentionLookup(RetentionLookup lookup);

  absl::StatusOr<api::v1::PollWorkflowTaskQueueResponse> RecordWorkflowTaskStarted(
      const NamespaceRef& ns, const internal::BacklogTask& task,
      const std::string& identity) override;
  absl::StatusOr<api::v1::PollActivityTaskQueueResponse> RecordActivityTaskStarted(
      const NamespaceRef& ns, const internal::BacklogTask& task,
      const std::string& identity) override;
  absl::Status RespondWorkflowTaskCompleted(
      const NamespaceRef& ns, const api::v1::RespondWorkflowTaskCompletedRequest& request) override;
  absl::Status RespondWorkflowTaskCompleted(
      const NamespaceRef& ns, const api::v1::RespondWorkflowTaskCompletedRequest& request,
      api::v1::RespondWorkflowTaskCompletedResponse* response) override;
  absl::Status RespondWorkflowTaskFailed(
      const NamespaceRef& ns, const api::v1::RespondWorkflowTaskFailedRequest& request) override;
  absl::Status ResetStickyTaskQueue(const NamespaceRef& ns,
                                    const api::v1::ResetStickyTaskQueueRequest& request) override;
  // Whether a STICKY_SCHEDULE_TO_START timer still guards the run's waiting sticky task.
  static bool StickyTimerIsCurrent(const internal::MutableState& ms, const internal::TimerTask& t);
  absl::StatusOr<api::v1::RecordActivityTaskHeartbeatResponse> RecordActivityTaskHeartbeat(
      const NamespaceRef& ns, const api::v1::RecordActivityTaskHeartbeatRequest& request) override;
  absl::Status RespondActivityTaskCompleted(
      const NamespaceRef& ns, const api::v1::RespondActivityTaskCompletedRequest& request) override;
  absl::Status RespondActivityTaskFailed(
      const NamespaceRef& ns, const api::v1::RespondActivityTaskFailedRequest& request) override;
  absl::Status RespondActivityTaskCanceled(
      const NamespaceRef& ns, const api::v1::RespondActivityTaskCanceledRequest& request) override;

 private:
  // A locked, loaded execution. `state` is the cached mutable state (valid if exists).
  struct Locked {
    Shard* shard = nullptr;
    std::shared_ptr<ExecutionEntry> entry;
    std::unique_lock<std::mutex> lock;
  };

  // A locked run with a copy of its state and the started activity attempt a token names.
  struct LockedActivity {
    Locked locked;
    internal::MutableState ms;
    int64_t scheduled_event_id;
    internal::ActivityInfo& ai() { return ms.mutable_activities()->at(scheduled_event_id); }
  };
  absl::StatusOr<LockedActivity> LockActivity(const NamespaceRef& ns,
                                              const std::string& task_token);

  Shard& ShardOf(const std::string& ns_id, const std::string& wf);
  // Locks and loads the run; an empty run_id means the current run. NOT_FOUND if absent.
  absl::StatusOr<Locked> LockRun(const std::string& ns_id, const std::string& wf,
                                 const std::string& run_id, const std::string& ns_name);
  // Locks the workflow id's "current" slot (serializes starts of the same id).
  Locked LockWorkflowId(const std::string& ns_id, const std::string& wf);
  absl::StatusOr<std::optional<internal::CurrentExecution>> ReadCurrent(Shard& shard,
                                                                        const std::string& ns_id,
                                                                        const std::string& wf);
  // Commits the transition and installs its state in the cache, waking long polls.
  absl::Status CommitAndInstall(Locked& locked, Transition& tr, bool sync = true);
  absl::StatusOr<std::vector<api::v1::HistoryEvent>> ReadHistory(Shard& shard,
                                                                 const internal::MutableState& ms,
                                                                 int64_t from_event_id,
                                                                 int64_t to_event_id);

  // The parent of a child run (see child_workflow_handlers.cc).
  struct ParentRef {
    std::string namespace_id;
    std::string namespace_name;
    std::string workflow_id;
    std::string run_id;
    int64_t initiated_event_id = 0;
    api::v1::ParentClosePolicy close_policy = api::v1::PARENT_CLOSE_POLICY_UNSPECIFIED;
  };

  // What a new run starts with (a start, or a continue-as-new).
  struct NewRun {
    std::string workflow_id;
    api::v1::WorkflowType type;
    std::string task_queue;
    api::v1::Payloads input;
    absl::Duration task_timeout = absl::ZeroDuration();
    absl::Duration run_timeout = absl::ZeroDuration();
    absl::Duration execution_timeout = absl::ZeroDuration();
    api::v1::RetryPolicy retry_policy;
    api::v1::Memo memo;
    api::v1::SearchAttributes search_attributes;  // normalized by the frontend
    int32_t priority = 0;                         // 1 (highest) .. 5; 0: the default (3)
    std::string identity;
    std::string request_id;
    std::string continued_from_run_id;
    std::string first_run_id;
    const api::v1::SignalWithStartWorkflowExecutionRequest* signal = nullptr;
    std::optional<ParentRef> parent;  // set for a child run (and its continued runs)
    // Of the start event; empty: the current thread's trace (continue-as-new carries it).
    api::v1::TraceContext trace_context;
  };
  // A fresh state with ids set; InitRun() fills in the rest through a Transition.
  internal::MutableState NewRunState(const NamespaceRef& ns, const NewRun& spec);
  // Appends the start events, schedules the first workflow task and the run timeout, and
  // writes the current-run and visibility records.
  void InitRun(Transition& tr, const NewRun& spec);

  // Shared steps of transitions (mutate through the Transition).
  void ScheduleWorkflowTask(Transition& tr);
  // Schedules a workflow task unless one is pending, in flight or backing off.
  void ScheduleWorkflowTaskIfNeeded(Transition& tr);
  void CloseRun(Transition& tr, api::v1::WorkflowExecutionStatus status);
  // Retention (retention.cc): the DELETE_HISTORY timer of a closing run, and its handler.
  void ScheduleRetention(Transition& tr);
  absl::Status DeleteClosedRun(Shard& shard, const internal::TimerTask& task);
  // Terminates a running run whose history passed the hard limits.
  void EnforceHistoryLimits(Transition& tr);
  absl::Status TerminateLocked(Locked& locked, const std::string& reason,
                               const std::string& identity);
  absl::Status SignalLocked(Locked& locked, const std::string& name, const api::v1::Payloads& input,
                            const std::string& identity, const std::string& request_id);
  // Activity attempt failed or timed out: retry with backoff, or record the final outcome.
  void FailActivityAttempt(Transition& tr, internal::ActivityInfo& ai,
                           const api::v1::Failure& failure, api::v1::TimeoutType timeout_type,
                           const std::string& identity);
  // ---- eager activity dispatch (eager_activities.cc) ----
  // What one workflow-task completion may start for its worker, and what it started.
  struct EagerActivities {
    std::string identity;              // the completing worker
    int slots = 0;                     // free activity slots it still offers
    std::optional<bool> rate_limited;  // the run's activity queue has a dispatch rate limit
    std::vector<int64_t> started;      // scheduled event ids started for the worker
  };
  // Starts a just-scheduled activity for the completing worker instead of dispatching it
  // through matching, if it is on the run's own task queue, a slot is left and the queue has
  // no dispatch rate limit; false (nothing changed) otherwise.
  bool StartEagerly(Transition& tr, internal::ActivityInfo& ai, EagerActivities& eager);
  // After the commit: the tasks of the activities started for the worker, into `response`.
  static void AddEagerTasks(const NamespaceRef& ns, const internal::MutableState& ms,
                            const EagerActivities& eager,
                            api::v1::RespondWorkflowTaskCompletedResponse* response);
  // Whether the last command closes the run (complete, fail, cancel, continue-as-new).
  static bool ClosesRun(const google::protobuf::RepeatedPtrField<api::v1::Command>& cmds);
  // Marks the activity's current attempt started by `identity` (start-to-close and heartbeat
  // timers, the schedule-to-start metric). Shared by polled and eager starts.
  void StartActivityAttempt(Transition& tr, internal::ActivityInfo& ai,
                            const std::string& identity);
  // The task a worker runs for a started attempt (as a poll returns it).
  static api::v1::PollActivityTaskQueueResponse ActivityTaskFor(const std::string& ns_name,
                                                                const internal::MutableState& ms,
                                                                const internal::ActivityInfo& ai);
  // Dispatches an activity attempt to matching (or, with `eager`, possibly starts it for the
  // completing worker: see StartEagerly).
  void DispatchActivity(Transition& tr, internal::ActivityInfo& ai,
                        EagerActivities* eager = nullptr);
  // Circuit breakers (breaker_hooks.cc). Holds the attempt (held_by_breaker, in_backoff and
  // a retry timer at the breaker's next probe time) when its breaker refuses it; true if so.
  bool HoldIfBreakerRefuses(Transition& tr, internal::ActivityInfo& ai);
  // Reports a started attempt's outcome to its breaker once the transition is on disk.
  void ReportToBreaker(Transition& tr, const internal::ActivityInfo& ai, AttemptOutcome outcome);
  // A breaker let held attempts go: re-check them now rather than at their timers.
  void ReleaseHeldAttempt(const BreakerAttempt& attempt);
  // A retry timer whose attempt is gone or moved on: if it was a breaker hold, unhold it.
  void ForgetBreakerHold(const internal::TimerTask& t);

 public:
  // Whether an ACTIVITY_RETRY timer still matches its activity: a plain backoff timer (no
  // timer_id) or the current breaker hold (timer_id names the hold). Used by task_handlers.cc.
  static bool ActivityRetryTimerIsCurrent(const internal::ActivityInfo& ai,
                                          const internal::TimerTask& t);

 private:
  void AddActivityTimeout(Transition& tr, const internal::ActivityInfo& ai,
                          api::v1::TimeoutType type, absl::Time fire);
  // Appends the ActivityTaskStarted event that precedes an activity's outcome; its id.
  int64_t AppendActivityStarted(Transition& tr, const internal::ActivityInfo& ai);
  absl::Status ApplyCommands(Transition& tr,
                             const api::v1::RespondWorkflowTaskCompletedRequest& req,
                             int64_t completed_event_id, bool* closed,
                             EagerActivities* eager = nullptr);
  absl::Status ValidateCommands(const internal::MutableState& ms,
                                const google::protobuf::RepeatedPtrField<api::v1::Command>& cmds);
  void FailWorkflowTask(Transition& tr, api::v1::WorkflowTaskFailedCause cause,
                        const api::v1::Failure& failure, const std::string& identity);

  // ---- sticky execution (sticky_execution.cc) ----
  // Records (or, without sticky_attributes, clears) the worker queue that caches the run.
  void ApplyStickyAttributes(internal::MutableState& ms,
                             const api::v1::RespondWorkflowTaskCompletedRequest& req);
  // Hands the scheduled workflow task to matching: to the sticky queue (with a
  // STICKY_SCHEDULE_TO_START timer) when set, else to the normal queue.
  void DispatchWorkflowTask(Transition& tr);
  // Clears the sticky queue; a task waiting on it is dispatched again to the normal queue.
  void MoveToNormalQueue(Transition& tr);

  // ---- children and external workflows (child_workflow_handlers.cc) ----
  absl::StatusOr<api::v1::StartWorkflowExecutionResponse> StartWorkflow(
      const NamespaceRef& ns, const api::v1::StartWorkflowExecutionRequest& request,
      const api::v1::SignalWithStartWorkflowExecutionRequest* signal, const ParentRef* parent);
  // Checks command `i` (a child start, signal or cancel of another workflow); empty if fine.
  std::string ValidateExternalCommand(
      const internal::MutableState& ms,
      const google::protobuf::RepeatedPtrField<api::v1::Command>& cmds, int i);
  void ApplyExternalCommand(Transition& tr, const api::v1::Command& c, int64_t completed_id);
  // In a closing transition: tells the parent and applies parent-close policies later.
  void AddCloseExecutionTask(Transition& tr);
  void DescribeChildren(const internal::MutableState& ms,
                        api::v1::DescribeWorkflowExecutionResponse* resp);
  absl::Status HandleExternalTransferTask(const internal::TransferTask& task);
  absl::Status StartChildTask(const internal::TransferTask& task);
  absl::Status SignalExternalTask(const internal::TransferTask& task);
  absl::Status CancelExternalTask(const internal::TransferTask& task);
  absl::Status CloseExecutionTask(const internal::TransferTask& task);
  absl::Status ReportToParent(const internal::MutableState& child,
                              const api::v1::HistoryEvent& close_event);
  absl::Status ApplyParentClosePolicy(const internal::MutableState& parent,
                                      const internal::ChildExecutionInfo& child);
  absl::StatusOr<NamespaceRef> ResolveNamespace(const internal::MutableState& ms,
                                                const std::string& name);

  absl::Status HandleTransferTask(Shard& shard, const internal::TransferTask& task);
  absl::Status HandleTimerTask(Shard& shard, const internal::TimerTask& task);

  absl::StatusOr<internal::TaskToken> DecodeToken(const std::string& token,
                                                  internal::TaskKind kind);

  storage::Store* const store_;
  matching::MatchingClient* const matching_;
  const Clock* const clock_;
  Metrics* const metrics_;
  const Options options_;
  std::unique_ptr<storage::GroupCommitter> committer_;  // shared by all shards
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<bool> stopping_{false};
  std::mutex retention_mu_;
  RetentionLookup retention_lookup_;  // guarded by retention_mu_
  std::mutex resolver_mu_;
  NamespaceResolver resolver_;  // guarded by resolver_mu_
};

}  // namespace weft::history

#endif  // WEFT_SERVER_HISTORY_HISTORY_ENGINE_H_
