// libFuzzer target: hostile bearer tokens and key files. Verify() must answer every input
// with OK or UNAUTHENTICATED, never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/frontend/auth/base64url.h"
#include "server/frontend/auth/jwt_keys.h"
#include "server/frontend/auth/jwt_verifier.h"
#include "server/frontend/auth/principal.h"

namespace auth = weft::frontend::auth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auth::StaticJwtKeySource* keys = [] {
    auto set = auth::JwtKeySet::FromHmacSecret("fuzzing-secret-0123456789abcdef0123456789");
    return new auth::StaticJwtKeySource(*set);
  }();
  static auth::JwtVerifier* verifier = new auth::JwtVerifier(
      {.issuer = "iss", .audience = "aud", .roles_claim = "realm.roles"}, keys);
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto claims = verifier->Verify(input, absl::FromUnixSeconds(1'800'000'000));
  if (!claims.ok() && !absl::IsUnauthenticated(claims.status())) __builtin_trap();
  // The same bytes as a key file, a base64url string and a role.
  (void)auth::JwtKeySet::FromPemOrJwks(input);
  (void)auth::Base64UrlDecode(input);
  (void)auth::ParseRoleGrant(input);
  return 0;
}
