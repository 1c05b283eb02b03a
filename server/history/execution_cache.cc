#include "server/history/execution_cache.h"

namespace weft::history {

std::shared_ptr<ExecutionEntry> ExecutionCache::Get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(key);
  if (it != map_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.entry;
  }
  // Evict unused entries from the cold end until there is room (entries in use stay).
  auto victim = lru_.end();
  while (map_.size() >= capacity_ && victim != lru_.begin()) {
    --victim;
    auto vit = map_.find(*victim);
    if (vit->second.entry.use_count() == 1) {
      map_.erase(vit);
      victim = lru_.erase(victim);
    }
  }
  lru_.push_front(key);
  auto entry = std::make_shared<ExecutionEntry>();
  map_.emplace(key, Slot{entry, lru_.begin()});
  return entry;
}

}  // namespace weft::history
