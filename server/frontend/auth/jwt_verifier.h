// JwtVerifier: checks a JWT bearer token (RFC 7519) and returns the caller it names.
//
// Accepted: alg HS256, RS256 or ES256 (never "none"), a signature that verifies with one of
// the source's keys (the one named by `kid` when the token has one), `exp` in the future and
// `nbf` (if present) in the past, both with `leeway` of clock skew, `iss` equal to the
// configured issuer and `aud` containing the configured audience (each only checked when
// configured), and a non-empty `sub`. Roles are read from the claim `roles_claim` (a dotted
// path such as "realm_access.roles" reaches into objects): a list of strings, or one string
// of space-separated roles. Entries that are not weft roles are ignored, so an OIDC
// provider's tokens work unchanged.
//
//   JwtVerifier verifier({.issuer = "https://idp", .audience = "weft"}, &keys);
//   absl::StatusOr<JwtClaims> claims = verifier.Verify(token, clock.Now());
//
// Errors are UNAUTHENTICATED with a reason ("token expired at ..."); the token itself never
// appears in a message.
//
// Thread safety: thread-safe. Ownership: borrows the key source, which must outlive it.
#ifndef WEFT_SERVER_FRONTEND_AUTH_JWT_VERIFIER_H_
#define WEFT_SERVER_FRONTEND_AUTH_JWT_VERIFIER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/frontend/auth/jwt_keys.h"
#include "server/frontend/auth/principal.h"

namespace weft::frontend::auth {

struct JwtOptions {
  std::string issuer;    // empty: not checked
  std::string audience;  // empty: not checked
  std::string roles_claim = "roles";
  absl::Duration leeway = absl::Seconds(30);
};

struct JwtClaims {
  std::string subject;
  std::vector<RoleGrant> roles;
  absl::Time expiry;
};

// Tokens longer than this are refused before any parsing.
inline constexpr size_t kMaxJwtBytes = 16 * 1024;

class JwtVerifier {
 public:
  JwtVerifier(JwtOptions options, JwtKeySource* keys) : options_(std::move(options)), keys_(keys) {}

  absl::StatusOr<JwtClaims> Verify(std::string_view token, absl::Time now) const;

 private:
  const JwtOptions options_;
  JwtKeySource* const keys_;
};

}  // namespace weft::frontend::auth

#endif  // WEFT_SERVER_FRONTEND_AUTH_JWT_VERIFIER_H_
