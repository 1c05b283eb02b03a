// Principal: who is calling, as established by authentication, and the roles the caller
// holds. Roles are written "admin" (cluster-wide) or "NAMESPACE:ROLE" with ROLE one of
// namespace-admin, writer, reader, worker (DESIGN.md section 8).
//
//   absl::StatusOr<RoleGrant> g = ParseRoleGrant("default:writer");
//   g->ns == "default", g->role == Role::kWriter
//
// Thread safety: plain values and pure functions.
#ifndef WEFT_SERVER_FRONTEND_AUTH_PRINCIPAL_H_
#define WEFT_SERVER_FRONTEND_AUTH_PRINCIPAL_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace weft::frontend::auth {

enum class Role { kAdmin, kNamespaceAdmin, kWriter, kReader, kWorker };

struct RoleGrant {
  std::string ns;  // empty for kAdmin, which holds in every namespace
  Role role = Role::kReader;

  bool operator==(const RoleGrant&) const = default;
};

// INVALID_ARGUMENT naming the accepted forms when `text` is neither "admin" nor "NS:ROLE".
absl::StatusOr<RoleGrant> ParseRoleGrant(std::string_view text);
std::string RoleGrantToString(const RoleGrant& grant);
std::string_view RoleName(Role role);

// How the caller proved who it is.
enum class AuthMethod { kNone, kJwt, kApiKey, kMtls };
std::string_view AuthMethodName(AuthMethod method);

struct Principal {
  // "alice" (a JWT subject), "apikey:<id>", "cert:<common name>", or "anonymous" when
  // authentication is off.
  std::string subject;
  AuthMethod method = AuthMethod::kNone;
  std::vector<RoleGrant> roles;

  bool IsAdmin() const;
  // Adds `grant` unless already held.
  void AddRole(const RoleGrant& grant);
};

}  // namespace weft::frontend::auth

#endif  // WEFT_SERVER_FRONTEND_AUTH_PRINCIPAL_H_
