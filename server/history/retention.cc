// Retention: a closed run, its history and its visibility rows are deleted once the
// namespace's retention period has passed since it closed (DESIGN.md section 4). CloseRun
// writes a DELETE_HISTORY timer task for close time + retention; this is its handler.
#include "absl/strings/str_cat.h"
#include "server/common/proto_time.h"
#include "server/history/history_engine.h"
#include "server/history/keys.h"
#include "server/visibility/visibility_store.h"
#include "storage/key_codec.h"

namespace weft::history {

void HistoryEngine::SetRetentionLookup(RetentionLookup lookup) {
  std::lock_guard<std::mutex> lock(retention_mu_);
  retention_lookup_ = std::move(lookup);
}

void HistoryEngine::ScheduleRetention(Transition& tr) {
  RetentionLookup lookup;
  {
    std::lock_guard<std::mutex> lock(retention_mu_);
    lookup = retention_lookup_;
  }
  if (!lookup) return;  // no registry (unit tests): runs are kept
  absl::Duration retention = lookup(tr.ms().namespace_name());
  if (retention <= absl::ZeroDuration()) return;
  internal::TimerTask t;
  t.set_type(internal::TIMER_TASK_TYPE_DELETE_HISTORY);
  *t.mutable_fire_time() = ToProto(tr.now() + retention);
  tr.AddTimerTask(std::move(t));
}

absl::Status HistoryEngine::DeleteClosedRun(Shard& shard, const internal::TimerTask& t) {
  auto l = LockRun(t.namespace_id(), t.workflow_id(), t.run_id(), t.namespace_id());
  if (absl::IsNotFound(l.status())) return absl::OkStatus();  // already gone
  if (!l.ok()) return l.status();
  const internal::MutableState& ms = l->entry->state;
  // A run that is running again cannot be (run ids are not reused); be safe anyway.
  if (ms.status() == api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING) return absl::OkStatus();

  storage::Batch batch;
  const int sid = shard.id();
  const std::string& ns = ms.namespace_id();
  const std::string& wf = ms.workflow_id();
  const std::string& run = ms.run_id();
  batch.Delete(storage::Cf::kExecutions, keys::Execution(sid, ns, wf, run));
  std::string prefix = keys::HistoryPrefix(sid, ns, wf, run);
  absl::Status s = store_->Scan(storage::Cf::kHistory, prefix, storage::PrefixSuccessor(prefix),
                                [&](std::string_view key, std::string_view) {
                                  batch.Delete(storage::Cf::kHistory, key);
                                  return true;
                                });
  if (!s.ok()) return s;
  // The visibility record and its index rows.
  const std::string record_key =
      visibility::RecordKey(ns, absl::ToUnixNanos(FromProto(ms.start_time())), run);
  auto value = store_->Get(storage::Cf::kVisibility, record_key);
  if (!value.ok() && !absl::IsNotFound(value.status())) return value.status();
  if (value.ok()) {
    internal::VisibilityRecord record;
    if (record.ParseFromString(*value)) {
      for (const std::string& k : visibility::IndexKeys(record)) {
        batch.Delete(storage::Cf::kVisibility, k);
      }
    }
    batch.Delete(storage::Cf::kVisibility, record_key);
  }
  // The workflow id is free again once its newest run is gone.
  auto cur = ReadCurrent(shard, ns, wf);
  if (!cur.ok()) return cur.status();
  if (cur->has_value() && (*cur)->run_id() == run) {
    batch.Delete(storage::Cf::kCurrent, keys::Current(sid, ns, wf));
  }
  // Acknowledges nothing to a caller: no sync of its own (storage/group_committer.h).
  if (auto c = shard.Commit(std::move(batch), /*sync=*/false); !c.ok()) return c;
  l->entry->state.Clear();
  l->entry->exists = false;
  l->entry->loaded = true;
  return absl::OkStatus();
}

}  // namespace weft::history
