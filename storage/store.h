// Store: weft's one RocksDB instance and its column families (DESIGN.md section 4).
//
// Everything the server persists goes through this class: point reads, prefix scans and
// atomic WriteBatches. A Batch collects puts and deletes across column families and is
// applied all-or-nothing by Write(); with Durability::kSync (the default) Write() returns
// only after the WAL is fsynced.
//
// Thread safety: Store is thread-safe (RocksDB is). Batch is not; build one per transition.
// Ownership: the Store owns the DB and its column-family handles; close it by destroying it.
#ifndef WEFT_STORAGE_STORE_H_
#define WEFT_STORAGE_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace weft::storage {

enum class Cf : int {
  kMeta = 0,
  kShards,
  kExecutions,
  kCurrent,
  kHistory,
  kTransferTasks,
  kTimerTasks,
  kTaskQueues,
  kVisibility,
  kCount,  // not a column family
};

enum class Durability { kSync, kAsync };

class Batch {
 public:
  Batch();
  ~Batch();
  Batch(Batch&&) noexcept;
  Batch& operator=(Batch&&) noexcept;

  void Put(Cf cf, std::string_view key, std::string_view value);
  void Delete(Cf cf, std::string_view key);
  // Appends all of `other` (used by group commit to merge transitions).
  void Append(const Batch& other);
  int Count() const;
  size_t ByteSize() const;
  bool empty() const { return Count() == 0; }

 private:
  friend class Store;
  struct Op {
    Cf cf;
    bool is_delete;
    std::string key;
    std::string value;
  };
  std::vector<Op> ops_;
  size_t bytes_ = 0;
};

class Store {
 public:
  // Opens (creating if needed) the database under `path` with every column family.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                                     Durability durability = Durability::kSync);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // NOT_FOUND when the key is absent.
  absl::StatusOr<std::string> Get(Cf cf, std::string_view key) const;
  absl::Status Put(Cf cf, std::string_view key, std::string_view value);
  // Applies the batch atomically; synced unless the store was opened with kAsync or `sync`
  // is false (for writes whose loss in a crash is harmless, e.g. deleting a done task).
  absl::Status Write(const Batch& batch, bool sync = true);

  // Calls fn(key, value) for keys in [start, end) in order (end empty: to the end of the
  // column family) until fn returns false or `limit` rows were visited (0: no limit).
  absl::Status Scan(Cf cf, std::string_view start, std::string_view end,
                    const std::function<bool(std::string_view key, std::string_view value)>& fn,
                    size_t limit = 0) const;
  // Same, over the keys that start with `prefix`.
  absl::Status ScanPrefix(Cf cf, std::string_view prefix,
                          const std::function<bool(std::string_view, std::string_view)>& fn,
                          size_t limit = 0) const;
  // Reverse order scan of keys in [start, end).
  absl::Status ScanReverse(Cf cf, std::string_view start, std::string_view end,
                           const std::function<bool(std::string_view, std::string_view)>& fn,
                           size_t limit = 0) const;

  // A RocksDB integer property summed over the column families (e.g.
  // "rocksdb.estimate-live-data-size"); nullopt if RocksDB does not know it.
  std::optional<uint64_t> GetIntProperty(const std::string& name) const;

  Durability durability() const { return durability_; }
  const std::string& path() const { return path_; }

 private:
  Store(std::string path, Durability durability);

  std::string path_;
  Durability durability_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // indexed by Cf; owned
};

const char* CfName(Cf cf);

}  // namespace weft::storage

#endif  // WEFT_STORAGE_STORE_H_
