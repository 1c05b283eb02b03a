#include "server/frontend/auth/testing/test_keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>

#include <ctime>
#include <fstream>
#include <stdexcept>

#include "server/frontend/auth/base64url.h"

namespace weft::frontend::auth::testing {
namespace {

std::string Bn(const EVP_PKEY* k, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(k, name, &bn) != 1) throw std::runtime_error("get_bn_param");
  int len = pad > 0 ? pad : BN_num_bytes(bn);
  std::string out(len, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), len);
  BN_free(bn);
  return out;
}

std::string Mac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof(out),
            &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string DigestSign(EVP_PKEY* k, const std::string& data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, k);
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                 data.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(data.data()), data.size());
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  return sig;
}

std::string DerToRaw(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string out(64, '\0');
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), 32);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return out;
}

}  // namespace

TestKey TestKey::Hmac(std::string secret, std::string kid) {
  TestKey k;
  k.type_ = Type::kHmac;
  k.secret_ = std::move(secret);
  k.kid_ = std::move(kid);
  return k;
}

TestKey TestKey::Rsa(std::string kid) {
  TestKey k;
  k.type_ = Type::kRsa;
  k.kid_ = std::move(kid);
  k.pkey_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}), EVP_PKEY_free);
  return k;
}

TestKey TestKey::EcP256(std::string kid) {
  TestKey k;
  k.type_ = Type::kEc;
  k.kid_ = std::move(kid);
  k.pkey_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free);
  return k;
}

const char* TestKey::alg() const {
  switch (type_) {
    case Type::kHmac:
      return "HS256";
    case Type::kRsa:
      return "RS256";
    case Type::kEc:
      return "ES256";
  }
  return "";
}

std::string TestKey::Sign(const nlohmann::json& claims) const {
  nlohmann::json header = {{"alg", alg()}, {"typ", "JWT"}};
  if (!kid_.empty()) header["kid"] = kid_;
  return SignWithHeader(header, claims);
}

std::string TestKey::SignWithHeader(const nlohmann::json& header,
                                    const nlohmann::json& claims) const {
  std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  std::string sig;
  if (type_ == Type::kHmac) {
    sig = Mac(secret_, input);
  } else if (type_ == Type::kRsa) {
    sig = DigestSign(pkey_.get(), input);
  } else {
    sig = DerToRaw(DigestSign(pkey_.get(), input));
  }
  return input + "." + Base64UrlEncode(sig);
}

std::string TestKey::PublicPem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, pkey_.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

nlohmann::json TestKey::Jwk() const {
  nlohmann::json j;
  if (!kid_.empty()) j["kid"] = kid_;
  if (type_ == Type::kHmac) {
    j["kty"] = "oct";
    j["k"] = Base64UrlEncode(secret_);
  } else if (type_ == Type::kRsa) {
    j["kty"] = "RSA";
    j["n"] = Base64UrlEncode(Bn(pkey_.get(), OSSL_PKEY_PARAM_RSA_N));
    j["e"] = Base64UrlEncode(Bn(pkey_.get(), OSSL_PKEY_PARAM_RSA_E));
  } else {
    j["kty"] = "EC";
    j["crv"] = "P-256";
    j["x"] = Base64UrlEncode(Bn(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32));
    j["y"] = Base64UrlEncode(Bn(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32));
  }
  return j;
}

int64_t NowPlus(int64_t delta) { return static_cast<int64_t>(std::time(nullptr)) + delta; }

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

}  // namespace weft::frontend::auth::testing
