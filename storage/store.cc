#include "storage/store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "absl/strings/str_cat.h"
#include "storage/key_codec.h"
#include "telemetry/log.h"

namespace weft::storage {
namespace {

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(std::string(what), ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) return absl::UnavailableError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  if (s.IsIOError()) return absl::UnavailableError(msg);
  return absl::InternalError(msg);
}

constexpr const char* kCfNames[] = {"meta",        "shards",      "executions",
                                    "current",     "history",     "transfer_tasks",
                                    "timer_tasks", "task_queues", "visibility"};
static_assert(sizeof(kCfNames) / sizeof(kCfNames[0]) == static_cast<size_t>(Cf::kCount));

// Storage never includes server code, so it keeps its own logger (the server's others are in
// server/common/logging.h).
telemetry::Logger& StorageLog() {
  static telemetry::Logger* l = new telemetry::Logger("storage");
  return *l;
}

}  // namespace

const char* CfName(Cf cf) { return kCfNames[static_cast<int>(cf)]; }

Batch::Batch() = default;
Batch::~Batch() = default;
Batch::Batch(Batch&&) noexcept = default;
Batch& Batch::operator=(Batch&&) noexcept = default;

void Batch::Put(Cf cf, std::string_view key, std::string_view value) {
  bytes_ += key.size() + value.size();
  ops_.push_back(Op{cf, false, std::string(key), std::string(value)});
}

void Batch::Delete(Cf cf, std::string_view key) {
  bytes_ += key.size();
  ops_.push_back(Op{cf, true, std::string(key), {}});
}

void Batch::Append(const Batch& other) {
  ops_.insert(ops_.end(), other.ops_.begin(), other.ops_.end());
  bytes_ += other.bytes_;
}

int Batch::Count() const { return static_cast<int>(ops_.size()); }
size_t Batch::ByteSize() const { return bytes_; }

Store::Store(std::string path, Durability durability)
    : path_(std::move(path)), durability_(durability) {}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path, Durability durability) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  options.max_background_jobs = 2;
  // Many small transitions: a larger write buffer keeps flushes rare.
  options.write_buffer_size = 32 << 20;
  options.enable_pipelined_write = true;

  rocksdb::BlockBasedTableOptions table;
  table.cache_index_and_filter_blocks = true;
  rocksdb::ColumnFamilyOptions cf_options(options);
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  for (const char* name : kCfNames) descriptors.emplace_back(name, cf_options);

  std::unique_ptr<Store> store(new Store(path, durability));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::DBOptions db_options(options);
  rocksdb::Status s = rocksdb::DB::Open(db_options, path, descriptors, &handles, &db);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return absl::FailedPreconditionError(
          absl::StrCat("data directory ", path, " is in use by another weft-server process (",
                       s.ToString(), ")"));
    }
    return FromRocks(s, absl::StrCat("opening RocksDB at ", path));
  }
  store->db_.reset(db);
  // handles[0] is the default CF, which weft does not use.
  db->DestroyColumnFamilyHandle(handles[0]);
  store->handles_.assign(handles.begin() + 1, handles.end());
  StorageLog().Info(
      "RocksDB opened",
      {{"path", path}, {"durability", durability == Durability::kSync ? "sync" : "async"}});
  return store;
}

Store::~Store() {
  if (!db_) return;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  db_->Close();
}

std::optional<uint64_t> Store::GetIntProperty(const std::string& name) const {
  uint64_t total = 0;
  bool any = false;
  for (auto* h : handles_) {
    uint64_t v = 0;
    if (db_->GetIntProperty(h, name, &v)) {
      total += v;
      any = true;
    }
  }
  if (!any) return std::nullopt;
  return total;
}

absl::StatusOr<std::string> Store::Get(Cf cf, std::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[static_cast<int>(cf)],
                               rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return absl::NotFoundError("key not found");
  if (!s.ok()) return FromRocks(s, absl::StrCat("reading ", CfName(cf)));
  return value;
}

absl::Status Store::Put(Cf cf, std::string_view key, std::string_view value) {
  Batch b;
  b.Put(cf, key, value);
  return Write(b);
}

absl::Status Store::Write(const Batch& batch, bool sync) {
  rocksdb::WriteBatch wb;
  for (const auto& op : batch.ops_) {
    auto* h = handles_[static_cast<int>(op.cf)];
    if (op.is_delete) {
      wb.Delete(h, op.key);
    } else {
      wb.Put(h, op.key, op.value);
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync && durability_ == Durability::kSync;
  rocksdb::Status s = db_->Write(wo, &wb);
  if (!s.ok()) {
    StorageLog().Warn(
        "RocksDB write failed",
        {{"operations", batch.ops_.size()}, {"sync", wo.sync}, {"error", s.ToString()}});
  }
  return FromRocks(s, "writing batch");
}

absl::Status Store::Scan(Cf cf, std::string_view start, std::string_view end,
                         const std::function<bool(std::string_view, std::string_view)>& fn,
                         size_t limit) const {
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper(end.data(), end.size());
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[static_cast<int>(cf)]));
  size_t n = 0;
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
    if (!fn(std::string_view(it->key().data(), it->key().size()),
            std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
    if (limit != 0 && ++n >= limit) break;
  }
  return FromRocks(it->status(), absl::StrCat("scanning ", CfName(cf)));
}

absl::Status Store::ScanPrefix(Cf cf, std::string_view prefix,
                               const std::function<bool(std::string_view, std::string_view)>& fn,
                               size_t limit) const {
  std::string end = PrefixSuccessor(prefix);
  return Scan(cf, prefix, end, fn, limit);
}

absl::Status Store::ScanReverse(Cf cf, std::string_view start, std::string_view end,
                                const std::function<bool(std::string_view, std::string_view)>& fn,
                                size_t limit) const {
  rocksdb::ReadOptions ro;
  rocksdb::Slice lower(start.data(), start.size());
  ro.iterate_lower_bound = &lower;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[static_cast<int>(cf)]));
  if (end.empty()) {
    it->SeekToLast();
  } else {
    it->SeekForPrev(rocksdb::Slice(end.data(), end.size()));
    if (it->Valid() && it->key() == rocksdb::Slice(end.data(), end.size())) it->Prev();
  }
  size_t n = 0;
  for (; it->Valid(); it->Prev()) {
    if (!fn(std::string_view(it->key().data(), it->key().size()),
            std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
    if (limit != 0 && ++n >= limit) break;
  }
  return FromRocks(it->status(), absl::StrCat("scanning ", CfName(cf)));
}

}  // namespace weft::storage
