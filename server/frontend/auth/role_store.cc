#include "server/frontend/auth/role_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "weft/internal/auth.pb.h"

namespace weft::frontend::auth {
namespace {

constexpr char kPrefix[] = "grant/";

}  // namespace

absl::Status RoleStore::Load() {
  absl::MutexLock lock(&mu_);
  absl::Status parse;
  absl::Status s = store_->ScanPrefix(
      storage::Cf::kMeta, kPrefix, [&](std::string_view, std::string_view value) {
        internal::RoleGrantsRecord r;
        if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse = absl::DataLossError("corrupt role grant record");
          return false;
        }
        auto& roles = grants_[r.subject()];
        for (const std::string& text : r.roles()) {
          auto g = ParseRoleGrant(text);
          if (g.ok()) roles.push_back(*g);
        }
        return true;
      });
  return s.ok() ? parse : s;
}

absl::Status RoleStore::Persist(const std::string& subject) {
  const std::string key = absl::StrCat(kPrefix, subject);
  auto it = grants_.find(subject);
  if (it == grants_.end() || it->second.empty()) {
    storage::Batch b;
    b.Delete(storage::Cf::kMeta, key);
    return store_->Write(b);
  }
  internal::RoleGrantsRecord r;
  r.set_subject(subject);
  for (const RoleGrant& g : it->second) r.add_roles(RoleGrantToString(g));
  return store_->Put(storage::Cf::kMeta, key, r.SerializeAsString());
}

absl::Status RoleStore::Grant(const std::string& subject, const RoleGrant& role) {
  if (subject.empty() || subject.size() > 256) {
    return absl::InvalidArgumentError("subject must be 1 to 256 characters");
  }
  absl::MutexLock lock(&mu_);
  auto& roles = grants_[subject];
  if (std::find(roles.begin(), roles.end(), role) != roles.end()) return absl::OkStatus();
  roles.push_back(role);
  if (auto s = Persist(subject); !s.ok()) {
    roles.pop_back();
    return s;
  }
  return absl::OkStatus();
}

absl::Status RoleStore::Revoke(const std::string& subject, const RoleGrant& role) {
  absl::MutexLock lock(&mu_);
  auto it = grants_.find(subject);
  auto pos = it == grants_.end() ? std::vector<RoleGrant>::iterator()
                                 : std::find(it->second.begin(), it->second.end(), role);
  if (it == grants_.end() || pos == it->second.end()) {
    return absl::NotFoundError(
        absl::StrCat("\"", subject, "\" has no grant of role ", RoleGrantToString(role)));
  }
  it->second.erase(pos);
  absl::Status s = Persist(subject);
  if (!s.ok()) {
    it->second.push_back(role);
    return s;
  }
  if (it->second.empty()) grants_.erase(it);
  return absl::OkStatus();
}

std::vector<RoleGrant> RoleStore::RolesOf(const std::string& subject) {
  absl::MutexLock lock(&mu_);
  auto it = grants_.find(subject);
  return it == grants_.end() ? std::vector<RoleGrant>{} : it->second;
}

std::map<std::string, std::vector<RoleGrant>> RoleStore::List(const std::string& ns) {
  absl::MutexLock lock(&mu_);
  if (ns.empty()) return grants_;
  std::map<std::string, std::vector<RoleGrant>> out;
  for (const auto& [subject, roles] : grants_) {
    for (const RoleGrant& g : roles) {
      if (g.ns == ns || g.role == Role::kAdmin) out[subject].push_back(g);
    }
  }
  return out;
}

}  // namespace weft::frontend::auth
