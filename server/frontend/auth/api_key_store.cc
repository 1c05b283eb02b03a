#include "server/frontend/auth/api_key_store.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/common/proto_time.h"
#include "server/frontend/auth/base64url.h"

namespace weft::frontend::auth {
namespace {

constexpr char kPrefix[] = "apikey/";
constexpr char kKeyPrefix[] = "weft_";
constexpr size_t kKeyPrefixLen = 5;
constexpr size_t kIdBytes = 8;
constexpr size_t kSecretBytes = 32;
constexpr size_t kSaltBytes = 16;

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return absl::InternalError("the system random generator failed");
  }
  return out;
}

std::string HashSecret(std::string_view salt, std::string_view secret) {
  std::string input = absl::StrCat(absl::string_view(salt.data(), salt.size()),
                                   absl::string_view(secret.data(), secret.size()));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md, &len, EVP_sha256(), nullptr);
  OPENSSL_cleanse(input.data(), input.size());
  return std::string(reinterpret_cast<const char*>(md), len);
}

absl::Status NotAKey() {
  return absl::UnauthenticatedError("invalid API key (want weft_<id>_<secret>)");
}

}  // namespace

absl::Status ApiKeyStore::Load() {
  absl::MutexLock lock(&mu_);
  absl::Status parse;
  absl::Status s = store_->ScanPrefix(
      storage::Cf::kMeta, kPrefix, [&](std::string_view, std::string_view value) {
        internal::ApiKeyRecord r;
        if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse = absl::DataLossError("corrupt API key record");
          return false;
        }
        by_id_[r.id()] = r;
        return true;
      });
  return s.ok() ? parse : s;
}

absl::StatusOr<NewApiKey> ApiKeyStore::Create(const std::string& owner,
                                              const std::vector<RoleGrant>& roles,
                                              std::optional<absl::Time> expire_time,
                                              const std::string& created_by) {
  if (owner.empty() || owner.size() > 200) {
    return absl::InvalidArgumentError("owner must be 1 to 200 characters");
  }
  if (roles.empty()) return absl::InvalidArgumentError("an API key needs at least one role");
  if (expire_time && *expire_time <= clock_->Now()) {
    return absl::InvalidArgumentError("expire_time is in the past");
  }
  auto id_bytes = RandomBytes(kIdBytes);
  auto secret = RandomBytes(kSecretBytes);
  auto salt = RandomBytes(kSaltBytes);
  if (!id_bytes.ok() || !secret.ok() || !salt.ok()) {
    return absl::InternalError("the system random generator failed");
  }
  NewApiKey out;
  internal::ApiKeyRecord& r = out.record;
  r.set_id(absl::BytesToHexString(*id_bytes));
  r.set_owner(owner);
  for (const RoleGrant& g : roles) r.add_roles(RoleGrantToString(g));
  r.set_salt(*salt);
  std::string secret_text = Base64UrlEncode(*secret);
  r.set_secret_hash(HashSecret(*salt, secret_text));
  *r.mutable_create_time() = ToProto(clock_->Now());
  if (expire_time) *r.mutable_expire_time() = ToProto(*expire_time);
  r.set_created_by(created_by);
  out.secret = absl::StrCat(kKeyPrefix, r.id(), "_", secret_text);
  OPENSSL_cleanse(secret_text.data(), secret_text.size());

  absl::MutexLock lock(&mu_);
  if (auto s =
          store_->Put(storage::Cf::kMeta, absl::StrCat(kPrefix, r.id()), r.SerializeAsString());
      !s.ok()) {
    return s;
  }
  by_id_[r.id()] = r;
  return out;
}

std::vector<internal::ApiKeyRecord> ApiKeyStore::List() {
  absl::MutexLock lock(&mu_);
  std::vector<internal::ApiKeyRecord> out;
  for (const auto& [id, r] : by_id_) out.push_back(r);
  return out;
}

absl::Status ApiKeyStore::Revoke(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) {
    return absl::NotFoundError(absl::StrCat("API key \"", id, "\" not found"));
  }
  if (it->second.revoked()) return absl::OkStatus();
  internal::ApiKeyRecord r = it->second;
  r.set_revoked(true);
  *r.mutable_revoke_time() = ToProto(clock_->Now());
  if (auto s = store_->Put(storage::Cf::kMeta, absl::StrCat(kPrefix, id), r.SerializeAsString());
      !s.ok()) {
    return s;
  }
  it->second = std::move(r);
  return absl::OkStatus();
}

absl::StatusOr<internal::ApiKeyRecord> ApiKeyStore::Authenticate(std::string_view key_text) {
  // weft_<16 hex>_<43 base64url>
  if (key_text.size() > 200 || key_text.substr(0, kKeyPrefixLen) != kKeyPrefix) {
    return NotAKey();
  }
  std::string_view rest = key_text.substr(kKeyPrefixLen);
  size_t sep = rest.find('_');
  if (sep != kIdBytes * 2) return NotAKey();
  std::string id(rest.substr(0, sep));
  std::string_view secret = rest.substr(sep + 1);
  internal::ApiKeyRecord r;
  {
    absl::MutexLock lock(&mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return absl::UnauthenticatedError("unknown API key");
    r = it->second;
  }
  std::string hash = HashSecret(r.salt(), secret);
  if (hash.size() != r.secret_hash().size() ||
      CRYPTO_memcmp(hash.data(), r.secret_hash().data(), hash.size()) != 0) {
    return absl::UnauthenticatedError("unknown API key");
  }
  if (r.revoked()) {
    return absl::UnauthenticatedError(absl::StrCat("API key ", id, " was revoked"));
  }
  if (r.has_expire_time() && FromProto(r.expire_time()) <= clock_->Now()) {
    return absl::UnauthenticatedError(absl::StrCat("API key ", id, " expired"));
  }
  return r;
}

}  // namespace weft::frontend::auth
