// Scheduler: the schedules of every namespace (WorkflowService CreateSchedule ...
// ListSchedules) and the runner that takes their actions: starting a workflow through
// HistoryClient at each time of the schedule's spec, under its overlap policy.
//
//   Scheduler scheduler(store, history, clock, metrics, {});
//   RETURN_IF_ERROR(scheduler.Load());   // every ScheduleRecord from the meta column family
//   scheduler.Start();                   // the runner thread
//   ...
//   scheduler.Stop();                    // before history stops
//
// Each schedule is an internal::ScheduleRecord in the meta column family under
// "schedule/<namespace_id>/<schedule_id>", written synced before a call returns and after
// every action. An action for nominal time T starts workflow "<workflow_id>-<T RFC 3339>"
// with a request id derived from (schedule id, T): after a crash between the start and the
// record update the retried start finds the run already there instead of starting another.
//
// After downtime, actions due within the catch-up window (default 1 minute) are taken, older
// ones are counted in missed_catchup_window. Paused schedules and schedules out of
// remaining_actions take no scheduled actions (trigger and backfill still work). Running
// workflows are checked with DescribeWorkflowExecution when an action is due, and every
// `recheck_interval` while actions are buffered or pause_on_failure is set.
//
// Thread safety: thread-safe. One mutex guards every schedule, and is held while the runner
// calls history; calls from the frontend wait for it.
// Ownership: borrows the store, history client, clock and metrics (which must outlive it);
// owns the runner thread, stopped by Stop() or the destructor.
#ifndef WEFT_SERVER_SCHEDULER_SCHEDULER_H_
#define WEFT_SERVER_SCHEDULER_SCHEDULER_H_

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/common/clock.h"
#include "server/common/metrics.h"
#include "server/history/history_client.h"
#include "server/scheduler/schedule_spec.h"
#include "storage/group_committer.h"
#include "storage/store.h"
#include "weft/api/v1/workflow_service.pb.h"
#include "weft/internal/persistence.pb.h"

namespace weft::scheduler {

class Scheduler {
 public:
  struct Options {
    absl::Duration default_catchup_window = absl::Minutes(1);
    // How often running workflows are re-checked while an action waits on them.
    absl::Duration recheck_interval = absl::Seconds(1);
    // After a start that failed with a retryable error (UNAVAILABLE, ...).
    absl::Duration retry_interval = absl::Seconds(1);
    std::string identity = "weft-scheduler";
  };

  Scheduler(storage::Store* store, history::HistoryClient* history, const Clock* clock,
            Metrics* metrics, Options options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Reads every schedule from storage. Call once, before Start().
  absl::Status Load();
  // Starts the runner thread; Stop() ends it (idempotent).
  void Start();
  void Stop();

  // Takes every action due at the clock's current time and returns when the next one is due
  // (absl::InfiniteFuture() when none is). The runner thread calls this; unit tests call it
  // directly with a FakeClock instead of starting the thread.
  absl::Time RunOnce();

  // ALREADY_EXISTS when the id is taken (OK if the same non-empty request_id created it);
  // INVALID_ARGUMENT for a missing/bad spec or action.
  absl::Status Create(const history::NamespaceRef& ns, const api::v1::CreateScheduleRequest& req);
  // NOT_FOUND for an unknown schedule.
  absl::StatusOr<api::v1::DescribeScheduleResponse> Describe(const history::NamespaceRef& ns,
                                                             const std::string& schedule_id);
  // Replaces spec, action, policies and state; FAILED_PRECONDITION when conflict_token is
  // set and the schedule changed since it was read.
  absl::Status Update(const history::NamespaceRef& ns, const api::v1::UpdateScheduleRequest& req);
  // Pause/unpause, trigger an action now, backfill a time range.
  absl::Status Patch(const history::NamespaceRef& ns, const api::v1::PatchScheduleRequest& req);
  // Removes the schedule; the workflows it started keep running.
  absl::Status Delete(const history::NamespaceRef& ns, const std::string& schedule_id);
  absl::StatusOr<api::v1::ListSchedulesResponse> List(const history::NamespaceRef& ns,
                                                      const api::v1::ListSchedulesRequest& req);

  // Validates a schedule's spec, action, policies and state (INVALID_ARGUMENT says what to
  // fix). Exposed for the frontend and tests.
  static absl::Status Validate(const api::v1::Schedule& schedule);

 private:
  struct Entry {
    internal::ScheduleRecord rec;
    CompiledSpec spec;
    absl::Time last_check = absl::InfinitePast();  // running workflows last described
    absl::Time retry_at = absl::InfinitePast();    // after a retryable start failure
    bool dirty = false;                            // changed since last persisted
  };

  static std::string Key(const std::string& namespace_id, const std::string& schedule_id);
  absl::Status Persist(Entry& e);
  Entry* Find(const history::NamespaceRef& ns, const std::string& schedule_id);
  // Processes one schedule; returns when it next needs attention.
  absl::Time ProcessLocked(Entry& e, absl::Time now);
  // Describes the running workflows; drops those that closed (pausing on failure if asked).
  void RefreshRunningLocked(Entry& e, absl::Time now);
  // Buffered actions start once nothing runs. Returns a retryable error from history.
  absl::Status DrainBufferLocked(Entry& e, absl::Time now);
  // One action for nominal time `t` under `policy`. `manual`: trigger/backfill (ignores
  // pause and remaining_actions). Returns only retryable errors.
  absl::Status TakeActionLocked(Entry& e, absl::Time t, absl::Time now,
                                api::v1::ScheduleOverlapPolicy policy, bool manual);
  absl::Status StartLocked(Entry& e, absl::Time t, absl::Time now, bool manual);
  void FillInfoLocked(const Entry& e, absl::Time now, api::v1::ScheduleInfo* info) const;
  void Count(const Entry& e, const char* outcome);
  void Kick();

  storage::Store* const store_;
  history::HistoryClient* const history_;
  const Clock* const clock_;
  Metrics* const metrics_;
  const Options options_;
  storage::GroupCommitter committer_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> entries_;  // by Key(); guarded by mu_
  bool kicked_ = false;                   // guarded by mu_
  bool stopping_ = false;                 // guarded by mu_
  std::thread runner_;
};

}  // namespace weft::scheduler

#endif  // WEFT_SERVER_SCHEDULER_SCHEDULER_H_
