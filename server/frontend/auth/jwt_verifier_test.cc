#include "server/frontend/auth/jwt_verifier.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "server/frontend/auth/base64url.h"
#include "server/frontend/auth/testing/test_keys.h"
#include "tests/support/temp_dir.h"

namespace weft::frontend::auth {
namespace {

using nlohmann::json;
using testing::NowPlus;
using testing::TestKey;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-test-secret";

json Claims(int64_t exp_delta = 300) {
  return {{"sub", "alice"},
          {"iss", "https://idp.test"},
          {"aud", "weft"},
          {"exp", NowPlus(exp_delta)},
          {"roles", {"default:writer", "admin", "not-a-weft-role"}}};
}

class JwtVerifierTest : public ::testing::Test {
 protected:
  absl::StatusOr<JwtClaims> Verify(const JwtKeySet& keys, const std::string& token,
                                   JwtOptions opts = {.issuer = "https://idp.test",
                                                      .audience = "weft"}) {
    StaticJwtKeySource source(keys);
    JwtVerifier v(opts, &source);
    return v.Verify(token, absl::Now());
  }
  static JwtKeySet Hmac() { return *JwtKeySet::FromHmacSecret(kSecret); }
};

TEST(Base64UrlTest, RoundTripsAndRejectsJunk) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(s)), s);
  }
  EXPECT_FALSE(Base64UrlDecode("ab=c"));
  EXPECT_FALSE(Base64UrlDecode("a"));
  EXPECT_FALSE(Base64UrlDecode("ab+/"));
  EXPECT_FALSE(Base64UrlDecode("QR"));  // non-zero leftover bits
}

TEST_F(JwtVerifierTest, AcceptsHs256WithRolesAndSubject) {
  auto claims = Verify(Hmac(), TestKey::Hmac(kSecret).Sign(Claims()));
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "alice");
  ASSERT_EQ(claims->roles.size(), 2u);  // the unknown role is ignored
  EXPECT_EQ(claims->roles[0], (RoleGrant{"default", Role::kWriter}));
  EXPECT_EQ(claims->roles[1].role, Role::kAdmin);
}

TEST_F(JwtVerifierTest, AcceptsRs256AndEs256FromPemAndJwks) {
  TestKey rsa = TestKey::Rsa("r1");
  TestKey ec = TestKey::EcP256("e1");
  auto pem = JwtKeySet::FromPemOrJwks(rsa.PublicPem() + ec.PublicPem());
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_TRUE(Verify(*pem, rsa.Sign(Claims())).ok());
  EXPECT_TRUE(Verify(*pem, ec.Sign(Claims())).ok());
  json jwks = {{"keys", {rsa.Jwk(), ec.Jwk()}}};
  auto set = JwtKeySet::FromPemOrJwks(jwks.dump());
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(Verify(*set, rsa.Sign(Claims())).ok());
  auto es = Verify(*set, ec.Sign(Claims()));
  EXPECT_TRUE(es.ok()) << es.status();
}

TEST_F(JwtVerifierTest, KidSelectsTheKey) {
  TestKey a = TestKey::Rsa("a");
  TestKey b = TestKey::Rsa("b");
  auto set = *JwtKeySet::FromPemOrJwks(json{{"keys", {a.Jwk()}}}.dump());
  EXPECT_TRUE(Verify(set, a.Sign(Claims())).ok());
  auto r = Verify(set, b.Sign(Claims()));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("kid \"b\""), std::string::npos) << r.status();
}

TEST_F(JwtVerifierTest, RejectsWrongSignatureTamperingAndAlgConfusion) {
  auto other =
      Verify(Hmac(), TestKey::Hmac("another-secret-that-is-32-bytes-long!!").Sign(Claims()));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(other.status().message().find("signature"), std::string::npos);

  std::string token = TestKey::Hmac(kSecret).Sign(Claims());
  size_t dot = token.find('.');
  json evil = Claims();
  evil["sub"] = "mallory";
  std::string tampered =
      token.substr(0, dot + 1) + Base64UrlEncode(evil.dump()) + token.substr(token.rfind('.'));
  EXPECT_FALSE(Verify(Hmac(), tampered).ok());

  // alg none, and an RS256 token "signed" with the public key as an HMAC secret.
  std::string none =
      Base64UrlEncode(json{{"alg", "none"}}.dump()) + "." + Base64UrlEncode(Claims().dump()) + ".";
  EXPECT_FALSE(Verify(Hmac(), none).ok());
  TestKey rsa = TestKey::Rsa();
  auto pem_set = *JwtKeySet::FromPemOrJwks(rsa.PublicPem());
  std::string confused =
      TestKey::Hmac(rsa.PublicPem()).SignWithHeader({{"alg", "HS256"}}, Claims());
  EXPECT_FALSE(Verify(pem_set, confused).ok());
}

TEST_F(JwtVerifierTest, ChecksExpNbfIssAudWithLeeway) {
  TestKey k = TestKey::Hmac(kSecret);
  auto expired = Verify(Hmac(), k.Sign(Claims(-120)));
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos) << expired.status();
  EXPECT_TRUE(Verify(Hmac(), k.Sign(Claims(-10))).ok());  // within 30 s of skew

  json c = Claims();
  c["nbf"] = NowPlus(600);
  EXPECT_NE(Verify(Hmac(), k.Sign(c)).status().message().find("not valid before"),
            std::string::npos);
  c["nbf"] = NowPlus(10);
  EXPECT_TRUE(Verify(Hmac(), k.Sign(c)).ok());

  c = Claims();
  c["iss"] = "https://evil.test";
  EXPECT_NE(Verify(Hmac(), k.Sign(c)).status().message().find("issuer"), std::string::npos);
  c = Claims();
  c["aud"] = json::array({"other", "weft"});
  EXPECT_TRUE(Verify(Hmac(), k.Sign(c)).ok());
  c["aud"] = "other";
  EXPECT_NE(Verify(Hmac(), k.Sign(c)).status().message().find("audience"), std::string::npos);
  c = Claims();
  c.erase("exp");
  EXPECT_FALSE(Verify(Hmac(), k.Sign(c)).ok());
  c = Claims();
  c.erase("sub");
  EXPECT_FALSE(Verify(Hmac(), k.Sign(c)).ok());
}

TEST_F(JwtVerifierTest, RolesClaimMayBeANestedPathOrAString) {
  TestKey k = TestKey::Hmac(kSecret);
  json c = Claims();
  c["realm_access"] = {{"roles", {"default:reader"}}};
  auto r = Verify(Hmac(), k.Sign(c),
                  {.issuer = "", .audience = "", .roles_claim = "realm_access.roles"});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->roles.size(), 1u);
  EXPECT_EQ(r->roles[0], (RoleGrant{"default", Role::kReader}));
  c["scope"] = "openid default:worker";
  r = Verify(Hmac(), k.Sign(c), {.issuer = "", .audience = "", .roles_claim = "scope"});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->roles.size(), 1u);
  EXPECT_EQ(r->roles[0].role, Role::kWorker);
}

TEST_F(JwtVerifierTest, RejectsMalformedTokensWithoutCrashing) {
  for (const std::string& t :
       std::vector<std::string>{"", ".", "..", "a.b.c", "a.b.c.d", "eyJhbGciOiJIUzI1NiJ9..",
                                std::string(20000, 'a'), "e30.e30.", "bnVsbA.bnVsbA.AA"}) {
    auto r = Verify(Hmac(), t);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << t.substr(0, 40);
  }
}

TEST(JwtKeyFilesTest, ReloadsRotatedKeysAndKeepsOldOnesWhenTheNewFileIsBad) {
  weft::testing::TempDir dir;
  const std::string path = dir.path() + "/keys.pem";
  TestKey first = TestKey::EcP256();
  TestKey second = TestKey::EcP256();
  testing::WriteFile(path, first.PublicPem());
  FakeClock clock(absl::Now());
  auto files = JwtKeyFiles::Load("", path, &clock);
  ASSERT_TRUE(files.ok()) << files.status();
  JwtVerifier v({}, files->get());
  auto bump = [&](int seconds) {  // a new modification time, as a rewrite would give it
    std::filesystem::last_write_time(
        path, std::filesystem::last_write_time(path) + std::chrono::seconds(seconds));
  };
  EXPECT_TRUE(v.Verify(first.Sign(Claims()), absl::Now()).ok());
  EXPECT_FALSE(v.Verify(second.Sign(Claims()), absl::Now()).ok());

  testing::WriteFile(path, "garbage");  // a broken file keeps the old keys
  bump(5);
  clock.Advance(absl::Seconds(2));
  EXPECT_TRUE(v.Verify(first.Sign(Claims()), absl::Now()).ok());

  testing::WriteFile(path, second.PublicPem());  // a good one replaces them...
  bump(10);
  EXPECT_FALSE(v.Verify(second.Sign(Claims()), absl::Now()).ok());  // ...once a second passed
  clock.Advance(absl::Seconds(2));
  EXPECT_TRUE(v.Verify(second.Sign(Claims()), absl::Now()).ok());
  EXPECT_FALSE(v.Verify(first.Sign(Claims()), absl::Now()).ok());
}

TEST(JwtKeySetTest, RejectsWeakOrUnusableKeys) {
  EXPECT_FALSE(JwtKeySet::FromHmacSecret("short").ok());
  EXPECT_TRUE(JwtKeySet::FromHmacSecret(std::string(32, 'x') + "\n").ok());
  EXPECT_FALSE(JwtKeySet::FromPemOrJwks("not a key").ok());
  EXPECT_FALSE(JwtKeySet::FromPemOrJwks("{\"keys\": []}").ok());
  EXPECT_FALSE(
      JwtKeySet::FromPemOrJwks("{\"keys\": [{\"kty\": \"EC\", \"crv\": \"P-384\"}]}").ok());
  EXPECT_FALSE(JwtKeySet::FromPemOrJwks("{").ok());
}

}  // namespace
}  // namespace weft::frontend::auth
