#include "server/frontend/auth/principal.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace weft::frontend::auth {
namespace {

constexpr std::string_view kAdmin = "admin";

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kNamespaceAdmin:
      return "namespace-admin";
    case Role::kWriter:
      return "writer";
    case Role::kReader:
      return "reader";
    case Role::kWorker:
      return "worker";
  }
  return "unknown";
}

std::string_view AuthMethodName(AuthMethod method) {
  switch (method) {
    case AuthMethod::kNone:
      return "none";
    case AuthMethod::kJwt:
      return "jwt";
    case AuthMethod::kApiKey:
      return "api-key";
    case AuthMethod::kMtls:
      return "mtls";
  }
  return "unknown";
}

absl::StatusOr<RoleGrant> ParseRoleGrant(std::string_view text) {
  if (text == kAdmin) return RoleGrant{"", Role::kAdmin};
  const size_t colon = text.rfind(':');
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid role \"", absl::string_view(text.data(), text.size()),
                     "\": expected \"admin\" or NAMESPACE:ROLE with ROLE one of "
                     "namespace-admin, writer, reader, worker (e.g. default:writer)"));
  };
  if (colon == std::string_view::npos || colon == 0 || text.size() > 300) return invalid();
  std::string_view ns = text.substr(0, colon);
  std::string_view name = text.substr(colon + 1);
  for (Role r : {Role::kNamespaceAdmin, Role::kWriter, Role::kReader, Role::kWorker}) {
    if (name == RoleName(r)) return RoleGrant{std::string(ns), r};
  }
  return invalid();
}

std::string RoleGrantToString(const RoleGrant& grant) {
  if (grant.role == Role::kAdmin) return std::string(kAdmin);
  std::string_view name = RoleName(grant.role);
  return absl::StrCat(grant.ns, ":", absl::string_view(name.data(), name.size()));
}

bool Principal::IsAdmin() const {
  return std::any_of(roles.begin(), roles.end(),
                     [](const RoleGrant& g) { return g.role == Role::kAdmin; });
}

void Principal::AddRole(const RoleGrant& grant) {
  if (std::find(roles.begin(), roles.end(), grant) == roles.end()) roles.push_back(grant);
}

}  // namespace weft::frontend::auth
