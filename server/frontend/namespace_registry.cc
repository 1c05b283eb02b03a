#include "server/frontend/namespace_registry.h"

#include "absl/strings/str_cat.h"
#include "server/common/ids.h"
#include "server/common/logging.h"
#include "server/common/proto_time.h"
#include "server/visibility/schema.h"

namespace weft::frontend {
namespace {

constexpr char kPrefix[] = "ns/";

}  // namespace

absl::Status NamespaceRegistry::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status parse;
  absl::Status s = store_->ScanPrefix(
      storage::Cf::kMeta, kPrefix, [&](std::string_view, std::string_view value) {
        internal::NamespaceRecord r;
        if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse = absl::DataLossError("corrupt namespace record");
          return false;
        }
        by_name_[r.name()] = r;
        return true;
      });
  return s.ok() ? parse : s;
}

absl::Status NamespaceRegistry::Register(internal::NamespaceRecord record) {
  std::lock_guard<std::mutex> lock(mu_);
  if (by_name_.contains(record.name())) {
    return absl::AlreadyExistsError(
        absl::StrCat("namespace \"", record.name(), "\" already exists"));
  }
  record.set_id(NewUuid());
  *record.mutable_create_time() = ToProto(clock_->Now());
  if (FromProto(record.retention()) <= absl::ZeroDuration()) {
    *record.mutable_retention() = ToProto(absl::Hours(72));
  }
  if (auto s = store_->Put(storage::Cf::kMeta, absl::StrCat(kPrefix, record.name()),
                           record.SerializeAsString());
      !s.ok()) {
    return s;
  }
  by_name_[record.name()] = record;
  if (listener_) listener_(record);
  logs::Frontend().Info("namespace created",
                        {{"namespace", record.name()},
                         {"namespace_id", record.id()},
                         {"retention_hours", absl::ToInt64Hours(FromProto(record.retention()))}});
  return absl::OkStatus();
}

absl::StatusOr<internal::NamespaceRecord> NamespaceRegistry::Update(
    const std::string& name,
    const std::function<absl::Status(internal::NamespaceRecord&)>& mutate) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    return absl::NotFoundError(absl::StrCat(
        "namespace \"", name, "\" not found (create it with: weft namespace create ", name, ")"));
  }
  internal::NamespaceRecord record = it->second;
  if (auto s = mutate(record); !s.ok()) return s;
  record.set_name(it->second.name());
  record.set_id(it->second.id());
  *record.mutable_create_time() = it->second.create_time();
  if (auto s = store_->Put(storage::Cf::kMeta, absl::StrCat(kPrefix, record.name()),
                           record.SerializeAsString());
      !s.ok()) {
    return s;
  }
  it->second = record;
  if (listener_) listener_(record);
  logs::Frontend().Info("namespace updated",
                        {{"namespace", record.name()},
                         {"retention_hours", absl::ToInt64Hours(FromProto(record.retention()))},
                         {"circuit_breaker", record.circuit_breaker_config().enabled()}});
  return record;
}

void NamespaceRegistry::SetListener(std::function<void(const internal::NamespaceRecord&)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  listener_ = std::move(fn);
  if (listener_) {
    for (const auto& [name, r] : by_name_) listener_(r);
  }
}

absl::Status NamespaceRegistry::AddSearchAttributes(
    const std::string& name, const std::map<std::string, api::v1::IndexedValueType>& attrs) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    return absl::NotFoundError(absl::StrCat(
        "namespace \"", name, "\" not found (create it with: weft namespace create ", name, ")"));
  }
  internal::NamespaceRecord record = it->second;
  auto* custom = record.mutable_custom_search_attributes();
  for (const auto& [attr, type] : attrs) {
    auto existing = custom->find(attr);
    if (existing != custom->end() && existing->second != type) {
      return absl::AlreadyExistsError(
          absl::StrCat("search attribute \"", attr, "\" already exists with type ",
                       visibility::TypeName(visibility::FromIndexedValueType(existing->second)),
                       "; a name's type cannot change (choose another name)"));
    }
    (*custom)[attr] = type;
  }
  if (custom->size() > visibility::kMaxCustomAttributesPerNamespace) {
    return absl::FailedPreconditionError(absl::StrCat(
        "namespace \"", name, "\" would have ", custom->size(),
        " custom search attributes; the limit is ", visibility::kMaxCustomAttributesPerNamespace));
  }
  if (auto s = store_->Put(storage::Cf::kMeta, absl::StrCat(kPrefix, record.name()),
                           record.SerializeAsString());
      !s.ok()) {
    return s;
  }
  logs::Frontend().Info("namespace search attributes added",
                        {{"namespace", record.name()}, {"attributes", attrs.size()}});
  it->second = std::move(record);
  return absl::OkStatus();
}

absl::StatusOr<internal::NamespaceRecord> NamespaceRegistry::Get(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    return absl::NotFoundError(absl::StrCat(
        "namespace \"", name, "\" not found (create it with: weft namespace create ", name, ")"));
  }
  return it->second;
}

std::vector<internal::NamespaceRecord> NamespaceRegistry::List() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<internal::NamespaceRecord> out;
  for (const auto& [name, r] : by_name_) out.push_back(r);
  return out;
}

}  // namespace weft::frontend
