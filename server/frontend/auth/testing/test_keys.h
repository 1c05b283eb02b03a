// Test support: keys generated at test time and JWTs signed with them, so no private key is
// ever committed. Not for production use.
//
//   TestKey rsa = TestKey::Rsa("k1");
//   std::string jwt = rsa.Sign({{"sub", "alice"}, {"exp", NowPlus(60)}});
//   WriteFile(dir + "/keys.pem", rsa.PublicPem());
//
// Thread safety: a TestKey may be used from several threads once built.
#ifndef WEFT_SERVER_FRONTEND_AUTH_TESTING_TEST_KEYS_H_
#define WEFT_SERVER_FRONTEND_AUTH_TESTING_TEST_KEYS_H_

#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace weft::frontend::auth::testing {

class TestKey {
 public:
  static TestKey Hmac(std::string secret, std::string kid = "");
  static TestKey Rsa(std::string kid = "");
  static TestKey EcP256(std::string kid = "");

  const char* alg() const;
  // A compact JWS of `claims` with this key (kid in the header when set).
  std::string Sign(const nlohmann::json& claims) const;
  // A JWS with a header of our choosing, e.g. {"alg": "none"}.
  std::string SignWithHeader(const nlohmann::json& header, const nlohmann::json& claims) const;
  std::string PublicPem() const;  // PUBLIC KEY block (RSA and EC)
  nlohmann::json Jwk() const;     // public JWK (and the secret for HMAC)
  const std::string& secret() const { return secret_; }

 private:
  enum class Type { kHmac, kRsa, kEc };
  Type type_ = Type::kHmac;
  std::string kid_;
  std::string secret_;
  std::shared_ptr<EVP_PKEY> pkey_;
};

// Seconds since the epoch, `delta` seconds from now (for exp, nbf).
int64_t NowPlus(int64_t delta);
void WriteFile(const std::string& path, const std::string& contents);

}  // namespace weft::frontend::auth::testing

#endif  // WEFT_SERVER_FRONTEND_AUTH_TESTING_TEST_KEYS_H_
