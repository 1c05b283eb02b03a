#include "server/history/keys.h"

#include "server/visibility/visibility_store.h"
#include "storage/key_codec.h"

namespace weft::history::keys {

using storage::KeyBuilder;

std::string Shard(int shard) { return KeyBuilder().U32(shard).Done(); }

std::string ShardPrefix(int shard) { return KeyBuilder().U32(shard).Done(); }

std::string Execution(int shard, const std::string& ns, const std::string& wf,
                      const std::string& run) {
  return KeyBuilder().U32(shard).Str(ns).Str(wf).Str(run).Done();
}

std::string Current(int shard, const std::string& ns, const std::string& wf) {
  return KeyBuilder().U32(shard).Str(ns).Str(wf).Done();
}

std::string HistoryPrefix(int shard, const std::string& ns, const std::string& wf,
                          const std::string& run) {
  return KeyBuilder().U32(shard).Str(ns).Str(wf).Str(run).Done();
}

std::string HistoryBatch(int shard, const std::string& ns, const std::string& wf,
                         const std::string& run, int64_t first_event_id) {
  return KeyBuilder().U32(shard).Str(ns).Str(wf).Str(run).I64(first_event_id).Done();
}

std::string TransferTask(int shard, uint64_t task_id) {
  return KeyBuilder().U32(shard).U64(task_id).Done();
}

std::string TimerTask(int shard, absl::Time fire, uint64_t task_id) {
  return KeyBuilder().U32(shard).I64(absl::ToUnixNanos(fire)).U64(task_id).Done();
}

std::string Visibility(const std::string& ns, absl::Time start, const std::string& run) {
  return visibility::RecordKey(ns, absl::ToUnixNanos(start), run);
}

std::string VisibilityPrefix(const std::string& ns) { return visibility::RecordPrefix(ns); }

int ShardFor(const std::string& ns, const std::string& wf, int num_shards) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // separator, so ("ab","c") and ("a","bc") differ
    h *= 1099511628211ULL;
  };
  mix(ns);
  mix(wf);
  return static_cast<int>(h % static_cast<uint64_t>(num_shards));
}

}  // namespace weft::history::keys
