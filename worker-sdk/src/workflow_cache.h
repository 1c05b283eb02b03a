// RunCache: the worker's bounded LRU cache of workflow instances for sticky execution, keyed
// by run id. A workflow task takes its run's instance out (Take), advances it, and puts it
// back (Put) as the most recently used; a run is never in the cache while a task uses it.
// Putting past the capacity evicts the least recently used runs and hands each to the
// eviction callback (the worker calls ResetStickyTaskQueue for it, so the run's next task
// goes to the normal queue at once instead of waiting for the sticky timeout).
//
//   RunCache<WorkflowInstance> cache(1000, [&](const RunCacheKey& k) { Reset(k); });
//   std::unique_ptr<WorkflowInstance> run = cache.Take(run_id);   // nullptr: a miss
//   ...
//   cache.Put({workflow_id, run_id}, std::move(run));
//
// Thread safety: thread-safe. The callback runs on the calling thread, without the cache's
// lock held. Ownership: the cache owns the values it holds.
#ifndef WEFT_SDK_SRC_WORKFLOW_CACHE_H_
#define WEFT_SDK_SRC_WORKFLOW_CACHE_H_

#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace weft {

struct RunCacheKey {
  std::string workflow_id;
  std::string run_id;
};

template <typename T>
class RunCache {
 public:
  using OnEvict = std::function<void(const RunCacheKey&)>;

  // capacity 0: nothing is kept (every Put evicts at once).
  RunCache(size_t capacity, OnEvict on_evict)
      : capacity_(capacity), on_evict_(std::move(on_evict)) {}

  // Removes and returns the run's entry; nullptr on a miss.
  std::unique_ptr<T> Take(const std::string& run_id) {
    absl::MutexLock lock(&mu_);
    auto it = index_.find(run_id);
    if (it == index_.end()) return nullptr;
    std::unique_ptr<T> value = std::move(it->second->second);
    lru_.erase(it->second);
    index_.erase(it);
    return value;
  }

  // Inserts (or replaces) the run's entry as the most recently used, then evicts the least
  // recently used entries past the capacity. Returns how many were evicted.
  size_t Put(const RunCacheKey& key, std::unique_ptr<T> value) {
    std::vector<std::pair<RunCacheKey, std::unique_ptr<T>>> evicted;
    {
      absl::MutexLock lock(&mu_);
      if (auto it = index_.find(key.run_id); it != index_.end()) {
        lru_.erase(it->second);
        index_.erase(it);
      }
      lru_.emplace_front(key, std::move(value));
      index_[key.run_id] = lru_.begin();
      while (lru_.size() > capacity_) {
        evicted.push_back(std::move(lru_.back()));
        index_.erase(evicted.back().first.run_id);
        lru_.pop_back();
      }
    }
    for (const auto& [k, unused] : evicted) {
      if (on_evict_) on_evict_(k);
    }
    return evicted.size();
  }

  // Drops the run's entry without calling the eviction callback (the caller knows why it
  // goes). Returns whether it was there.
  bool Erase(const std::string& run_id) {
    std::unique_ptr<T> dropped;  // destroyed outside the lock
    absl::MutexLock lock(&mu_);
    auto it = index_.find(run_id);
    if (it == index_.end()) return false;
    dropped = std::move(it->second->second);
    lru_.erase(it->second);
    index_.erase(it);
    return true;
  }

  // Evicts every entry (calling the callback for each); used at shutdown.
  void Clear() {
    std::list<std::pair<RunCacheKey, std::unique_ptr<T>>> all;
    {
      absl::MutexLock lock(&mu_);
      all.swap(lru_);
      index_.clear();
    }
    for (const auto& [k, unused] : all) {
      if (on_evict_) on_evict_(k);
    }
  }

  size_t size() const {
    absl::MutexLock lock(&mu_);
    return lru_.size();
  }

  // Run ids from the most to the least recently used (for tests and debugging).
  std::vector<std::string> RunIds() const {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const auto& [k, unused] : lru_) out.push_back(k.run_id);
    return out;
  }

 private:
  using Entry = std::pair<RunCacheKey, std::unique_ptr<T>>;
  const size_t capacity_;
  const OnEvict on_evict_;
  mutable absl::Mutex mu_;
  std::list<Entry> lru_ ABSL_GUARDED_BY(mu_);  // most recently used first
  std::map<std::string, typename std::list<Entry>::iterator> index_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft

#endif  // WEFT_SDK_SRC_WORKFLOW_CACHE_H_
