#include "server/history/transition.h"

#include "server/common/proto_time.h"
#include "server/history/keys.h"
#include "server/history/visibility_handlers.h"
#include "server/visibility/visibility_store.h"

namespace weft::history {

Transition::Transition(Shard& shard, internal::MutableState& ms, absl::Time now)
    : shard_(shard), ms_(ms), now_(now) {}

bool Transition::workflow_task_in_flight() const {
  return ms_.workflow_task().started_event_id() != 0;
}

void Transition::AssignId(api::v1::HistoryEvent* e) {
  e->set_event_id(ms_.next_event_id());
  ms_.set_next_event_id(ms_.next_event_id() + 1);
}

api::v1::HistoryEvent* Transition::Append(api::v1::EventType type) {
  events_.emplace_back();
  api::v1::HistoryEvent* e = &events_.back();
  AssignId(e);
  e->set_event_type(type);
  *e->mutable_event_time() = ToProto(now_);
  return e;
}

api::v1::HistoryEvent* Transition::AppendExternal(api::v1::EventType type) {
  if (!workflow_task_in_flight()) return Append(type);
  api::v1::HistoryEvent* e = ms_.add_buffered_events();
  e->set_event_type(type);
  *e->mutable_event_time() = ToProto(now_);
  return e;
}

int Transition::FlushBuffered() {
  int n = ms_.buffered_events_size();
  int64_t last_activity_started = 0;
  for (auto& buffered : *ms_.mutable_buffered_events()) {
    events_.push_back(std::move(buffered));
    api::v1::HistoryEvent* e = &events_.back();
    AssignId(e);
    // An activity's outcome follows its Started event; link them now that ids are known.
    switch (e->event_type()) {
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_STARTED:
        last_activity_started = e->event_id();
        break;
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        e->mutable_activity_task_completed_event_attributes()->set_started_event_id(
            last_activity_started);
        break;
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_FAILED:
        e->mutable_activity_task_failed_event_attributes()->set_started_event_id(
            last_activity_started);
        break;
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
        e->mutable_activity_task_timed_out_event_attributes()->set_started_event_id(
            last_activity_started);
        break;
      case api::v1::EVENT_TYPE_ACTIVITY_TASK_CANCELED:
        e->mutable_activity_task_canceled_event_attributes()->set_started_event_id(
            last_activity_started);
        break;
      default:
        break;
    }
  }
  ms_.clear_buffered_events();
  return n;
}

void Transition::AddTransferTask(internal::TransferTask task) {
  task.set_task_id(shard_.NextTaskId());
  task.set_namespace_id(ms_.namespace_id());
  task.set_workflow_id(ms_.workflow_id());
  task.set_run_id(ms_.run_id());
  task.set_namespace_name(ms_.namespace_name());
  // Workflow tasks go at the run's priority; an activity task brings its own.
  if (task.priority() == 0) task.set_priority(ms_.priority());
  transfer_.push_back(std::move(task));
}

void Transition::AddTimerTask(internal::TimerTask task) {
  task.set_task_id(shard_.NextTaskId());
  task.set_namespace_id(ms_.namespace_id());
  task.set_workflow_id(ms_.workflow_id());
  task.set_run_id(ms_.run_id());
  timers_.push_back(std::move(task));
}

Transition& Transition::AddRun(internal::MutableState initial) {
  next_run_state_ = std::make_unique<internal::MutableState>(std::move(initial));
  next_run_ = std::make_unique<Transition>(shard_, *next_run_state_, now_);
  return *next_run_;
}

absl::Status Transition::Commit(bool sync) {
  storage::Batch batch;
  AppendTo(batch);
  if (next_run_) next_run_->AppendTo(batch);
  return shard_.Commit(std::move(batch), sync);
}

void Transition::Publish() {
  for (const auto& t : transfer_) shard_.transfer_queue().Add(t);
  for (const auto& t : timers_) shard_.timer_queue().Add(t);
  for (auto& fn : on_committed_) fn();
  if (next_run_) next_run_->Publish();
}

void Transition::AppendTo(storage::Batch& batch) {
  const int shard = shard_.id();
  const std::string& ns = ms_.namespace_id();
  const std::string& wf = ms_.workflow_id();
  const std::string& run = ms_.run_id();
  if (!events_.empty()) {
    const int64_t first_event_id = events_.front().event_id();
    int64_t bytes = 0;
    for (const auto& e : events_) bytes += static_cast<int64_t>(e.ByteSizeLong());
    ms_.set_history_size_bytes(ms_.history_size_bytes() + bytes);
    api::v1::History h;
    h.mutable_events()->Reserve(static_cast<int>(events_.size()));
    for (auto& e : events_) *h.add_events() = std::move(e);  // events_ is spent here
    batch.Put(storage::Cf::kHistory, keys::HistoryBatch(shard, ns, wf, run, first_event_id),
              h.SerializeAsString());
  }
  ms_.set_db_version(ms_.db_version() + 1);
  batch.Put(storage::Cf::kExecutions, keys::Execution(shard, ns, wf, run), ms_.SerializeAsString());
  if (current_) {
    batch.Put(storage::Cf::kCurrent, keys::Current(shard, ns, wf), current_->SerializeAsString());
  }
  if (update_visibility_) {
    // The record and its index rows change in this same batch.
    visibility::VisibilityStore(shard_.store()).AppendWrites(VisibilityRecordOf(ms_), &batch);
  }
  for (const auto& t : transfer_) {
    batch.Put(storage::Cf::kTransferTasks, keys::TransferTask(shard, t.task_id()),
              t.SerializeAsString());
  }
  for (const auto& t : timers_) {
    batch.Put(storage::Cf::kTimerTasks,
              keys::TimerTask(shard, FromProto(t.fire_time()), t.task_id()), t.SerializeAsString());
  }
}

}  // namespace weft::history
