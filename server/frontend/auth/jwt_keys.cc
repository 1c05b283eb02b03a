#include "server/frontend/auth/jwt_keys.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "server/common/logging.h"
#include "server/frontend/auth/base64url.h"

namespace weft::frontend::auth {
namespace {

using nlohmann::json;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<EVP_PKEY> Share(EVP_PKEY* k) { return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free); }

absl::StatusOr<JwtKey> KeyFromPkey(EVP_PKEY* raw, std::string kid) {
  std::shared_ptr<EVP_PKEY> pkey = Share(raw);
  if (EVP_PKEY_is_a(raw, "RSA")) {
    if (EVP_PKEY_get_bits(raw) < 2048) {
      return absl::InvalidArgumentError("RSA keys must have at least 2048 bits");
    }
    return JwtKey{JwtKey::Type::kRsa, std::move(kid), "", pkey};
  }
  if (EVP_PKEY_is_a(raw, "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(raw, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &len) != 1 ||
        std::string_view(group) != "prime256v1") {
      return absl::InvalidArgumentError("EC keys must be on P-256 (ES256)");
    }
    return JwtKey{JwtKey::Type::kEcP256, std::move(kid), "", pkey};
  }
  return absl::InvalidArgumentError("unsupported public key type (want RSA or EC P-256)");
}

absl::StatusOr<JwtKeySet> FromPem(std::string_view text) {
  std::vector<JwtKey> keys;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) break;
    std::string block = name;
    const unsigned char* p = data;
    EVP_PKEY* pkey = nullptr;
    if (block == "PUBLIC KEY") {
      pkey = d2i_PUBKEY(nullptr, &p, len);
    } else if (block == "CERTIFICATE") {
      X509* cert = d2i_X509(nullptr, &p, len);
      if (cert != nullptr) {
        pkey = X509_get_pubkey(cert);
        X509_free(cert);
      }
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (block != "PUBLIC KEY" && block != "CERTIFICATE") {
      return absl::InvalidArgumentError(
          absl::StrCat("PEM block \"", block, "\" is not a PUBLIC KEY or CERTIFICATE"));
    }
    if (pkey == nullptr) return absl::InvalidArgumentError("unreadable PEM " + block);
    auto key = KeyFromPkey(pkey, "");
    if (!key.ok()) return key.status();
    keys.push_back(std::move(*key));
  }
  ERR_clear_error();  // the loop ends on "no start line"
  if (keys.empty()) return absl::InvalidArgumentError("no PEM PUBLIC KEY or CERTIFICATE found");
  return JwtKeySet(std::move(keys));
}

absl::StatusOr<std::string> Member(const json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("JWK has no string \"", name, "\""));
  }
  auto bytes = Base64UrlDecode(it->get<std::string>());
  if (!bytes || bytes->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("JWK \"", name, "\" is not base64url"));
  }
  return *bytes;
}

struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};

absl::StatusOr<EVP_PKEY*> BuildPkey(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, CtxDeleter> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("JWK does not describe a valid ", type, " key"));
  }
  return pkey;
}

absl::StatusOr<JwtKey> FromJwk(const json& jwk) {
  if (!jwk.is_object()) return absl::InvalidArgumentError("JWK is not an object");
  std::string kid = jwk.value("kid", "");
  std::string kty = jwk.value("kty", "");
  if (auto use = jwk.find("use"); use != jwk.end() && *use != "sig") {
    return absl::InvalidArgumentError("JWK is not for signatures (use != sig)");
  }
  if (kty == "oct") {
    auto k = Member(jwk, "k");
    if (!k.ok()) return k.status();
    auto set = JwtKeySet::FromHmacSecret(*k);
    if (!set.ok()) return set.status();
    JwtKey key = set->keys().front();
    key.kid = kid;
    return key;
  }
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (kty == "RSA") {
    auto n = Member(jwk, "n");
    auto e = Member(jwk, "e");
    if (!n.ok()) return n.status();
    if (!e.ok()) return e.status();
    std::unique_ptr<BIGNUM, BnDeleter> bn_n(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), n->size(), nullptr));
    std::unique_ptr<BIGNUM, BnDeleter> bn_e(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), e->size(), nullptr));
    if (!bn_n || !bn_e ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
      return absl::InternalError("cannot build RSA parameters");
    }
    auto pkey = BuildPkey("RSA", bld.get());
    if (!pkey.ok()) return pkey.status();
    return KeyFromPkey(*pkey, kid);
  }
  if (kty == "EC") {
    if (jwk.value("crv", "") != "P-256") {
      return absl::InvalidArgumentError("EC JWK must have crv P-256 (ES256)");
    }
    auto x = Member(jwk, "x");
    auto y = Member(jwk, "y");
    if (!x.ok()) return x.status();
    if (!y.ok()) return y.status();
    if (x->size() != 32 || y->size() != 32) {
      return absl::InvalidArgumentError("EC JWK coordinates must be 32 bytes");
    }
    std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point
    if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
            1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
      return absl::InternalError("cannot build EC parameters");
    }
    auto pkey = BuildPkey("EC", bld.get());
    if (!pkey.ok()) return pkey.status();
    return KeyFromPkey(*pkey, kid);
  }
  return absl::InvalidArgumentError(absl::StrCat("unsupported JWK kty \"", kty, "\""));
}

absl::StatusOr<JwtKeySet> FromJwks(std::string_view text) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    return absl::InvalidArgumentError("JWKS must be a JSON object with a \"keys\" array");
  }
  std::vector<JwtKey> keys;
  for (size_t i = 0; i < doc["keys"].size(); ++i) {
    auto key = FromJwk(doc["keys"][i]);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("JWKS key #", i + 1, ": ", key.status().message()));
    }
    keys.push_back(std::move(*key));
  }
  if (keys.empty()) return absl::InvalidArgumentError("JWKS has no keys");
  return JwtKeySet(std::move(keys));
}

const Clock* DefaultClock() {
  static const SystemClock* const kClock = new SystemClock();
  return kClock;
}

}  // namespace

absl::StatusOr<JwtKeySet> JwtKeySet::FromHmacSecret(std::string secret) {
  // A trailing newline from `echo ... > file` is not part of the secret.
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.size() < 32) {
    return absl::InvalidArgumentError("the HS256 secret must be at least 32 bytes");
  }
  return JwtKeySet({JwtKey{JwtKey::Type::kHmac, "", std::move(secret), nullptr}});
}

absl::StatusOr<JwtKeySet> JwtKeySet::FromPemOrJwks(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') return FromJwks(text);
  return FromPem(text);
}

void JwtKeySet::Merge(const JwtKeySet& other) {
  keys_.insert(keys_.end(), other.keys_.begin(), other.keys_.end());
}

JwtKeyFiles::JwtKeyFiles(std::string secret_file, std::string keys_file, const Clock* clock)
    : secret_file_(std::move(secret_file)),
      keys_file_(std::move(keys_file)),
      clock_(clock != nullptr ? clock : DefaultClock()) {}

absl::StatusOr<std::unique_ptr<JwtKeyFiles>> JwtKeyFiles::Load(std::string secret_file,
                                                               std::string keys_file,
                                                               const Clock* clock) {
  std::unique_ptr<JwtKeyFiles> files(
      new JwtKeyFiles(std::move(secret_file), std::move(keys_file), clock));
  auto keys = files->ReadAll();
  if (!keys.ok()) return keys.status();
  absl::MutexLock lock(&files->mu_);
  files->keys_ = std::make_shared<const JwtKeySet>(std::move(*keys));
  files->stamp_ = files->Stamp();
  files->last_check_ = files->clock_->Now();
  return files;
}

std::filesystem::file_time_type JwtKeyFiles::Stamp() const {
  // Not file_time_type{}: libstdc++'s file clock counts from 2174, so real times are negative.
  auto newest = std::filesystem::file_time_type::min();
  for (const std::string* f : {&secret_file_, &keys_file_}) {
    if (f->empty()) continue;
    std::error_code ec;
    auto t = std::filesystem::last_write_time(*f, ec);
    if (!ec && t > newest) newest = t;
  }
  return newest;
}

absl::StatusOr<JwtKeySet> JwtKeyFiles::ReadAll() const {
  JwtKeySet all;
  if (!secret_file_.empty()) {
    auto text = ReadFile(secret_file_);
    if (!text.ok()) return text.status();
    auto set = JwtKeySet::FromHmacSecret(std::move(*text));
    if (!set.ok())
      return absl::InvalidArgumentError(absl::StrCat(secret_file_, ": ", set.status().message()));
    all.Merge(*set);
  }
  if (!keys_file_.empty()) {
    auto text = ReadFile(keys_file_);
    if (!text.ok()) return text.status();
    auto set = JwtKeySet::FromPemOrJwks(*text);
    if (!set.ok())
      return absl::InvalidArgumentError(absl::StrCat(keys_file_, ": ", set.status().message()));
    all.Merge(*set);
  }
  return all;
}

std::shared_ptr<const JwtKeySet> JwtKeyFiles::Current() {
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_->Now();
  if (now - last_check_ < absl::Seconds(1)) return keys_;
  last_check_ = now;
  auto stamp = Stamp();
  if (stamp == stamp_) return keys_;
  stamp_ = stamp;
  auto keys = ReadAll();
  if (!keys.ok()) {
    logs::Auth().Warn("cannot reload the JWT keys; keeping the previous ones",
                      {{"error", keys.status().message()}});
    return keys_;
  }
  keys_ = std::make_shared<const JwtKeySet>(std::move(*keys));
  return keys_;
}

}  // namespace weft::frontend::auth
