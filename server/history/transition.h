// Transition: one state transition of one workflow run, built up and committed as a single
// WriteBatch (DESIGN.md section 3, steps 3-4): new history events, the rewritten mutable
// state, the current-run and visibility records, and the transfer and timer tasks.
//
// Works on a copy of the mutable state; the caller installs the copy in the cache only after
// Commit() succeeded, so a failed write leaves the cached state as it was on disk.
//
//   internal::MutableState ms = entry->state;
//   Transition tr(shard, ms, clock->Now());
//   tr.Append(api::v1::EVENT_TYPE_...)->mutable_...();
//   if (auto s = tr.Commit(); s.ok()) entry->state = std::move(ms);
//
// Thread safety: not thread-safe; used under the execution's lock.
#ifndef WEFT_SERVER_HISTORY_TRANSITION_H_
#define WEFT_SERVER_HISTORY_TRANSITION_H_

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "server/history/shard.h"
#include "weft/api/v1/history.pb.h"
#include "weft/internal/persistence.pb.h"

namespace weft::history {

class Transition {
 public:
  Transition(Shard& shard, internal::MutableState& ms, absl::Time now);

  absl::Time now() const { return now_; }
  internal::MutableState& ms() { return ms_; }

  // Appends an event to history now, assigning the next event id.
  api::v1::HistoryEvent* Append(api::v1::EventType type);
  // An event from outside the workflow (activity outcome, timer fired, signal, cancel
  // request): buffered while a workflow task is in flight, appended otherwise.
  api::v1::HistoryEvent* AppendExternal(api::v1::EventType type);
  // Moves buffered events into history (after a workflow task finished). Returns how many.
  int FlushBuffered();

  void AddTransferTask(internal::TransferTask task);
  void AddTimerTask(internal::TimerTask task);
  void SetCurrent(const internal::CurrentExecution& current) { current_ = current; }
  // Rewrites the visibility row from the mutable state (start, close, status changes).
  void UpdateVisibility() { update_visibility_ = true; }
  // Runs `fn` once the transition is on disk (metrics count only what was committed).
  void OnCommitted(std::function<void()> fn) { on_committed_.push_back(std::move(fn)); }

  // Starts another run of the same workflow in this same batch (continue-as-new): returns
  // the transition that builds the new run from `initial`. Its writes follow this run's, so
  // its current-run record wins.
  Transition& AddRun(internal::MutableState initial);
  Transition* next_run() { return next_run_.get(); }

  // Writes everything (and the added run, if any) in one batch through the group committer.
  // sync=false only for what acknowledges nothing to a caller (a task handed to a worker, a
  // heartbeat): see storage/group_committer.h for why that loses nothing that matters.
  absl::Status Commit(bool sync = true);
  // After a successful Commit() and once the new state is in the cache: hands the new tasks
  // to the shard's queue processors (a worker may act on them at once) and runs the
  // OnCommitted callbacks.
  void Publish();

  bool workflow_task_in_flight() const;

 private:
  void AssignId(api::v1::HistoryEvent* e);
  void AppendTo(storage::Batch& batch);

  Shard& shard_;
  internal::MutableState& ms_;
  const absl::Time now_;
  std::deque<api::v1::HistoryEvent> events_;  // deque: Append()'s pointers stay valid
  std::vector<internal::TransferTask> transfer_;
  std::vector<internal::TimerTask> timers_;
  std::optional<internal::CurrentExecution> current_;
  bool update_visibility_ = false;
  std::vector<std::function<void()>> on_committed_;
  std::unique_ptr<internal::MutableState> next_run_state_;
  std::unique_ptr<Transition> next_run_;
};

}  // namespace weft::history

#endif  // WEFT_SERVER_HISTORY_TRANSITION_H_
