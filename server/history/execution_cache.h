// ExecutionCache: per-shard, bounded LRU cache of workflow mutable state, and the
// per-execution lock (DESIGN.md section 3, step 2).
//
// Get() returns a shared entry; lock entry->mu for the whole read-modify-commit of a
// transition. An entry in use is never evicted, so a lock holder always sees the only copy.
// `changed` is notified after every commit of the execution (long polls wait on it).
//
// Thread safety: thread-safe. Entries are guarded by their own mu.
#ifndef WEFT_SERVER_HISTORY_EXECUTION_CACHE_H_
#define WEFT_SERVER_HISTORY_EXECUTION_CACHE_H_

#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "weft/internal/persistence.pb.h"

namespace weft::history {

struct ExecutionEntry {
  std::mutex mu;
  std::condition_variable changed;
  bool loaded = false;           // guarded by mu: state reflects storage
  bool exists = false;           // guarded by mu
  internal::MutableState state;  // guarded by mu
};

class ExecutionCache {
 public:
  explicit ExecutionCache(size_t capacity) : capacity_(capacity) {}

  std::shared_ptr<ExecutionEntry> Get(const std::string& key);

 private:
  struct Slot {
    std::shared_ptr<ExecutionEntry> entry;
    std::list<std::string>::iterator lru;
  };
  const size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, Slot> map_;  // guarded by mu_
  std::list<std::string> lru_;                 // guarded by mu_; front = most recent
};

}  // namespace weft::history

#endif  // WEFT_SERVER_HISTORY_EXECUTION_CACHE_H_
