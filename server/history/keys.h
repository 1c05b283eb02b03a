// Keys of the history service's records (DESIGN.md section 4). Every shard-owned key starts
// with the shard id.
//
// Thread safety: pure functions.
#ifndef WEFT_SERVER_HISTORY_KEYS_H_
#define WEFT_SERVER_HISTORY_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace weft::history::keys {

std::string Shard(int shard);
std::string Execution(int shard, const std::string& ns, const std::string& wf,
                      const std::string& run);
std::string Current(int shard, const std::string& ns, const std::string& wf);
std::string HistoryPrefix(int shard, const std::string& ns, const std::string& wf,
                          const std::string& run);
std::string HistoryBatch(int shard, const std::string& ns, const std::string& wf,
                         const std::string& run, int64_t first_event_id);
std::string ShardPrefix(int shard);
std::string TransferTask(int shard, uint64_t task_id);
std::string TimerTask(int shard, absl::Time fire, uint64_t task_id);
// A run's visibility record (its index rows: server/visibility/visibility_store.h).
std::string Visibility(const std::string& ns, absl::Time start, const std::string& run);
std::string VisibilityPrefix(const std::string& ns);

// shard = hash64(namespace_id, workflow_id) % num_shards (FNV-1a, stable across builds).
int ShardFor(const std::string& ns, const std::string& wf, int num_shards);

}  // namespace weft::history::keys

#endif  // WEFT_SERVER_HISTORY_KEYS_H_
