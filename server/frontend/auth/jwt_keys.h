// The keys that JWTs are verified with: an HS256 shared secret, and RS256 / ES256 public keys
// from a PEM file (one or more PUBLIC KEY or CERTIFICATE blocks) or a JWKS file
// ({"keys": [{"kty": "RSA", "kid": ..., "n": ..., "e": ...}, {"kty": "EC", "crv": "P-256",
// ...}, {"kty": "oct", "k": ...}]}). A token's `kid` header picks the key; without one every
// key of the right type is tried.
//
//   auto keys = JwtKeyFiles::Load("/etc/weft/jwt-secret", "/etc/weft/jwks.json");
//   std::shared_ptr<const JwtKeySet> now = (*keys)->Current();
//
// JwtKeyFiles reloads the files when their modification time changes (checked at most once
// a second), so keys can be rotated without a restart; a file that fails to parse keeps the
// previous keys and is reported on stderr.
//
// Thread safety: JwtKeySet is immutable; JwtKeyFiles is thread-safe.
// Ownership: a JwtKeySet owns its OpenSSL keys; Current() shares ownership with the caller.
#ifndef WEFT_SERVER_FRONTEND_AUTH_JWT_KEYS_H_
#define WEFT_SERVER_FRONTEND_AUTH_JWT_KEYS_H_

#include <openssl/evp.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/clock.h"

namespace weft::frontend::auth {

struct JwtKey {
  enum class Type { kHmac, kRsa, kEcP256 };
  Type type;
  std::string kid;                 // empty: matches tokens without a kid, and any kid as a fallback
  std::string secret;              // kHmac only
  std::shared_ptr<EVP_PKEY> pkey;  // kRsa and kEcP256
};

class JwtKeySet {
 public:
  JwtKeySet() = default;
  explicit JwtKeySet(std::vector<JwtKey> keys) : keys_(std::move(keys)) {}

  // An HS256 secret (at least 32 bytes, as RFC 7518 asks for HS256).
  static absl::StatusOr<JwtKeySet> FromHmacSecret(std::string secret);
  // PEM blocks or a JWKS document; decided by the first non-blank character ('{': JWKS).
  static absl::StatusOr<JwtKeySet> FromPemOrJwks(std::string_view text);

  const std::vector<JwtKey>& keys() const { return keys_; }
  bool empty() const { return keys_.empty(); }
  // Adds every key of `other`.
  void Merge(const JwtKeySet& other);

 private:
  std::vector<JwtKey> keys_;
};

// Where a verifier gets the current keys from.
class JwtKeySource {
 public:
  virtual ~JwtKeySource() = default;
  virtual std::shared_ptr<const JwtKeySet> Current() = 0;
};

class StaticJwtKeySource final : public JwtKeySource {
 public:
  explicit StaticJwtKeySource(JwtKeySet keys)
      : keys_(std::make_shared<const JwtKeySet>(std::move(keys))) {}
  std::shared_ptr<const JwtKeySet> Current() override { return keys_; }

 private:
  const std::shared_ptr<const JwtKeySet> keys_;
};

class JwtKeyFiles final : public JwtKeySource {
 public:
  // Either path may be empty. Fails when a given file cannot be read or holds no usable key.
  // `clock` (borrowed; null: the system clock) paces the checks for changed files.
  static absl::StatusOr<std::unique_ptr<JwtKeyFiles>> Load(std::string secret_file,
                                                           std::string keys_file,
                                                           const Clock* clock = nullptr);
  std::shared_ptr<const JwtKeySet> Current() override;

 private:
  JwtKeyFiles(std::string secret_file, std::string keys_file, const Clock* clock);
  absl::StatusOr<JwtKeySet> ReadAll() const;
  std::filesystem::file_time_type Stamp() const;

  const std::string secret_file_;
  const std::string keys_file_;
  const Clock* const clock_;
  absl::Mutex mu_;
  std::shared_ptr<const JwtKeySet> keys_ ABSL_GUARDED_BY(mu_);
  std::filesystem::file_time_type stamp_ ABSL_GUARDED_BY(mu_);
  absl::Time last_check_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::frontend::auth

#endif  // WEFT_SERVER_FRONTEND_AUTH_JWT_KEYS_H_
