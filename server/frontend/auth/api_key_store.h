// ApiKeyStore: API keys, kept in the RocksDB meta column family ("apikey/<id>") and cached in
// memory. A key is the text "weft_<id>_<secret>": the id (16 hex digits) finds the record,
// the secret (32 random bytes, base64url) proves possession. Only a salted SHA-256 of the
// secret is stored, so the key is shown once, by Create(), and never again.
//
// A fast hash is enough here: the secret is 256 random bits, not a password, so there is
// nothing to brute-force; the salt keeps equal secrets from having equal hashes.
//
//   auto key = store.Create("ci", {*ParseRoleGrant("default:writer")}, std::nullopt, "admin");
//   ... send key->secret as x-weft-api-key ...
//   absl::StatusOr<internal::ApiKeyRecord> r = store.Authenticate(key->secret);
//
// Thread safety: thread-safe. Ownership: borrows the Store and Clock.
#ifndef WEFT_SERVER_FRONTEND_AUTH_API_KEY_STORE_H_
#define WEFT_SERVER_FRONTEND_AUTH_API_KEY_STORE_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/common/clock.h"
#include "server/frontend/auth/principal.h"
#include "storage/store.h"
#include "weft/internal/auth.pb.h"

namespace weft::frontend::auth {

struct NewApiKey {
  internal::ApiKeyRecord record;  // as stored: salt and hash, no secret
  std::string secret;             // the whole key text, "weft_<id>_<secret>"
};

class ApiKeyStore {
 public:
  ApiKeyStore(storage::Store* store, const Clock* clock) : store_(store), clock_(clock) {}

  absl::Status Load();

  // `expire_time` nullopt: never expires. INVALID_ARGUMENT for an empty owner or no roles.
  absl::StatusOr<NewApiKey> Create(const std::string& owner, const std::vector<RoleGrant>& roles,
                                   std::optional<absl::Time> expire_time,
                                   const std::string& created_by);
  // Every key, revoked ones included, by id; never with its secret.
  std::vector<internal::ApiKeyRecord> List();
  // NOT_FOUND for an unknown id; revoking twice is OK.
  absl::Status Revoke(const std::string& id);
  // The key's record, or UNAUTHENTICATED: malformed, unknown, wrong secret, revoked, expired.
  absl::StatusOr<internal::ApiKeyRecord> Authenticate(std::string_view key_text);

  // "apikey:<id>": the subject an API key acts as (for role grants and the audit log).
  static std::string Subject(const std::string& id) { return "apikey:" + id; }

 private:
  storage::Store* const store_;
  const Clock* const clock_;
  absl::Mutex mu_;
  std::map<std::string, internal::ApiKeyRecord> by_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::frontend::auth

#endif  // WEFT_SERVER_FRONTEND_AUTH_API_KEY_STORE_H_
