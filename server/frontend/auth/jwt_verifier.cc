#include "server/frontend/auth/jwt_verifier.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/frontend/auth/base64url.h"

namespace weft::frontend::auth {
namespace {

using nlohmann::json;

absl::Status Unauthenticated(std::string_view why) {
  return absl::UnauthenticatedError(
      absl::StrCat("invalid token: ", absl::string_view(why.data(), why.size())));
}

std::string_view AsBytes(const unsigned char* p, size_t n) {
  return std::string_view(reinterpret_cast<const char*>(p), n);
}

bool VerifyHmac(const std::string& secret, std::string_view signed_part, std::string_view sig) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac,
                sizeof(mac), &mac_len) == nullptr) {
    ERR_clear_error();
    return false;
  }
  return sig.size() == mac_len && CRYPTO_memcmp(mac, sig.data(), mac_len) == 0;
}

bool VerifyDigest(EVP_PKEY* pkey, std::string_view signed_part, std::string_view sig) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()),
                             sig.size(), reinterpret_cast<const unsigned char*>(signed_part.data()),
                             signed_part.size()) == 1;
  ERR_clear_error();
  return ok;
}

// JWS carries an ES256 signature as the 64 bytes r || s; OpenSSL wants DER.
std::optional<std::string> EcdsaRawToDer(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::string out(AsBytes(der, static_cast<size_t>(len)));
  OPENSSL_free(der);
  return out;
}

// A NumericDate claim: seconds since the epoch, possibly fractional.
std::optional<absl::Time> NumericDate(const json& claims, const char* name, bool* present) {
  auto it = claims.find(name);
  *present = it != claims.end();
  if (!*present) return std::nullopt;
  if (!it->is_number()) return std::nullopt;
  double v = it->get<double>();
  if (!std::isfinite(v) || v < 0 || v > 1e11) return std::nullopt;
  return absl::FromUnixMillis(static_cast<int64_t>(v * 1000));
}

const json* FindPath(const json& claims, const std::string& path) {
  const json* node = &claims;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(std::string(part));
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

std::vector<RoleGrant> ReadRoles(const json* value) {
  std::vector<std::string> texts;
  if (value == nullptr) return {};
  if (value->is_string()) {
    for (absl::string_view t : absl::StrSplit(value->get<std::string>(), ' ', absl::SkipEmpty())) {
      texts.emplace_back(t);
    }
  } else if (value->is_array()) {
    for (const json& v : *value) {
      if (v.is_string()) texts.push_back(v.get<std::string>());
    }
  }
  std::vector<RoleGrant> roles;
  for (const std::string& t : texts) {
    auto g = ParseRoleGrant(t);
    if (g.ok() && std::find(roles.begin(), roles.end(), *g) == roles.end()) roles.push_back(*g);
  }
  return roles;
}

}  // namespace

absl::StatusOr<JwtClaims> JwtVerifier::Verify(std::string_view token, absl::Time now) const {
  if (token.empty()) return Unauthenticated("empty bearer token");
  if (token.size() > kMaxJwtBytes) return Unauthenticated("token is larger than 16 KiB");
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Unauthenticated("not a JWT (want header.payload.signature)");
  }
  auto header_bytes = Base64UrlDecode(token.substr(0, dot1));
  auto payload_bytes = Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto sig = Base64UrlDecode(token.substr(dot2 + 1));
  if (!header_bytes || !payload_bytes || !sig) return Unauthenticated("not base64url");
  json header = json::parse(*header_bytes, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) return Unauthenticated("header is not JSON");
  auto alg_it = header.find("alg");
  if (alg_it == header.end() || !alg_it->is_string()) return Unauthenticated("no alg");
  const std::string alg = alg_it->get<std::string>();
  JwtKey::Type want;
  if (alg == "HS256") {
    want = JwtKey::Type::kHmac;
  } else if (alg == "RS256") {
    want = JwtKey::Type::kRsa;
  } else if (alg == "ES256") {
    want = JwtKey::Type::kEcP256;
  } else {
    return Unauthenticated("alg must be HS256, RS256 or ES256");
  }
  if (auto crit = header.find("crit"); crit != header.end()) {
    return Unauthenticated("unsupported critical header");
  }
  std::string kid;
  if (auto k = header.find("kid"); k != header.end()) {
    if (!k->is_string()) return Unauthenticated("kid is not a string");
    kid = k->get<std::string>();
  }

  // The signature is checked before the claims are looked at.
  const std::string_view signed_part = token.substr(0, dot2);
  std::optional<std::string> der;
  if (want == JwtKey::Type::kEcP256) {
    der = EcdsaRawToDer(*sig);
    if (!der) return Unauthenticated("ES256 signature must be 64 bytes");
  }
  std::shared_ptr<const JwtKeySet> keys = keys_ != nullptr ? keys_->Current() : nullptr;
  bool any_key = false;
  bool verified = false;
  if (keys != nullptr) {
    // A kid picks its key; keys without a kid stay candidates so a plain secret or PEM key
    // accepts tokens from issuers that always set one.
    for (const JwtKey& key : keys->keys()) {
      if (key.type != want || (!kid.empty() && !key.kid.empty() && key.kid != kid)) continue;
      any_key = true;
      verified = want == JwtKey::Type::kHmac
                     ? VerifyHmac(key.secret, signed_part, *sig)
                     : VerifyDigest(key.pkey.get(), signed_part, der ? *der : *sig);
      if (verified) break;
    }
  }
  if (!any_key) {
    return Unauthenticated(kid.empty() ? absl::StrCat("no ", alg, " key is configured")
                                       : absl::StrCat("no ", alg, " key with kid \"", kid, "\""));
  }
  if (!verified) return Unauthenticated("signature does not verify");

  json claims = json::parse(*payload_bytes, nullptr, /*allow_exceptions=*/false);
  if (claims.is_discarded() || !claims.is_object()) return Unauthenticated("claims are not JSON");
  bool present = false;
  std::optional<absl::Time> exp = NumericDate(claims, "exp", &present);
  if (!present) return Unauthenticated("no exp claim");
  if (!exp) return Unauthenticated("exp is not a NumericDate");
  if (now > *exp + options_.leeway) {
    return Unauthenticated(absl::StrCat("token expired at ", absl::FormatTime(*exp)));
  }
  std::optional<absl::Time> nbf = NumericDate(claims, "nbf", &present);
  if (present && !nbf) return Unauthenticated("nbf is not a NumericDate");
  if (nbf && now + options_.leeway < *nbf) {
    return Unauthenticated(absl::StrCat("token not valid before ", absl::FormatTime(*nbf)));
  }
  if (!options_.issuer.empty()) {
    auto iss = claims.find("iss");
    if (iss == claims.end() || !iss->is_string() || iss->get<std::string>() != options_.issuer) {
      return Unauthenticated(absl::StrCat("issuer is not \"", options_.issuer, "\""));
    }
  }
  if (!options_.audience.empty()) {
    bool match = false;
    if (auto aud = claims.find("aud"); aud != claims.end()) {
      if (aud->is_string()) match = aud->get<std::string>() == options_.audience;
      if (aud->is_array()) {
        for (const json& a : *aud) match = match || (a.is_string() && a == options_.audience);
      }
    }
    if (!match) {
      return Unauthenticated(absl::StrCat("audience does not include \"", options_.audience, "\""));
    }
  }
  auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get<std::string>().empty() ||
      sub->get<std::string>().size() > 256) {
    return Unauthenticated("no sub claim");
  }
  JwtClaims out;
  out.subject = sub->get<std::string>();
  out.roles = ReadRoles(FindPath(claims, options_.roles_claim));
  out.expiry = *exp;
  return out;
}

}  // namespace weft::frontend::auth
