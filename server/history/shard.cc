#include "server/history/shard.h"

#include "absl/strings/str_cat.h"
#include "server/common/logging.h"
#include "server/history/keys.h"

namespace weft::history {

Shard::Shard(int id, storage::Store* store, storage::GroupCommitter* committer, const Clock* clock,
             TransferQueue::Handler on_transfer, TimerQueue::Handler on_timer)
    : id_(id),
      store_(store),
      committer_(committer),
      cache_(4096),
      transfer_(id, store, std::move(on_transfer)),
      timer_(id, store, clock, std::move(on_timer)) {}

Shard::~Shard() { Stop(); }

absl::Status Shard::Open() {
  internal::ShardInfo info;
  auto raw = store_->Get(storage::Cf::kShards, keys::Shard(id_));
  if (raw.ok()) {
    if (!info.ParseFromString(*raw)) {
      return absl::DataLossError(absl::StrCat("shard ", id_, ": corrupt ShardInfo"));
    }
  } else if (!absl::IsNotFound(raw.status())) {
    return raw.status();
  }
  info.set_shard_id(id_);
  info.set_range_id(info.range_id() + 1);
  if (auto s = store_->Put(storage::Cf::kShards, keys::Shard(id_), info.SerializeAsString());
      !s.ok()) {
    return s;
  }
  range_id_ = info.range_id();

  if (auto s = transfer_.Recover(); !s.ok()) return s;
  if (auto s = timer_.Recover(); !s.ok()) return s;
  recovered_transfer_ = transfer_.Pending();
  recovered_timers_ = timer_.Pending();
  logs::History().Debug("shard opened", {{"shard", id_},
                                         {"range_id", range_id_},
                                         {"transfer_tasks", recovered_transfer_},
                                         {"timer_tasks", recovered_timers_}});
  return absl::OkStatus();
}

absl::Status Shard::CheckOwnership() const {
  auto raw = store_->Get(storage::Cf::kShards, keys::Shard(id_));
  internal::ShardInfo now;
  if (!raw.ok() || !now.ParseFromString(*raw)) {
    return absl::UnavailableError(absl::StrCat("shard ", id_, ": cannot read ShardInfo"));
  }
  if (now.range_id() != range_id_) {
    return absl::AbortedError(absl::StrCat("shard ", id_, " is owned elsewhere (range_id ",
                                           now.range_id(), " != ours ", range_id_, ")"));
  }
  return absl::OkStatus();
}

absl::Status Shard::Commit(storage::Batch batch, bool sync) {
  if (!sync) {
    // Nothing to wait for: write at once instead of queueing behind the synced groups.
    // RocksDB still orders it in its log before every later synced write.
    if (auto s = CheckOwnership(); !s.ok()) return s;
    return store_->Write(batch, /*sync=*/false);
  }
  return committer_->Commit(std::move(batch),
                            {.sync = sync, .precheck = [this] { return CheckOwnership(); }});
}

void Shard::Start() {
  transfer_.Start();
  timer_.Start();
}

void Shard::Stop() {
  transfer_.Stop();
  timer_.Stop();
}

uint64_t Shard::NextTaskId() {
  return (static_cast<uint64_t>(range_id_) << 32) | (sequence_.fetch_add(1) + 1);
}

}  // namespace weft::history
