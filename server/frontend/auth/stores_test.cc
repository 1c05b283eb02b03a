// Tests of the API key store, the role store and the rate limiter.
#include <gtest/gtest.h>

#include "server/frontend/auth/api_key_store.h"
#include "server/frontend/auth/rate_limiter.h"
#include "server/frontend/auth/role_store.h"
#include "tests/support/temp_dir.h"

namespace weft::frontend::auth {
namespace {

class StoresTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = std::move(*storage::Store::Open(dir_.path())); }
  void Reopen() {
    store_.reset();
    store_ = std::move(*storage::Store::Open(dir_.path()));
  }
  weft::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
};

TEST_F(StoresTest, ApiKeyIsShownOnceAndStoredOnlyAsASaltedHash) {
  ApiKeyStore keys(store_.get(), &clock_);
  auto k = keys.Create("ci", {{"default", Role::kWriter}}, std::nullopt, "root");
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->secret.substr(0, 5 + 16 + 1), "weft_" + k->record.id() + "_");
  std::string secret_part = k->secret.substr(22);
  // Nothing persisted contains the secret.
  ASSERT_TRUE(store_
                  ->ScanPrefix(storage::Cf::kMeta, "apikey/",
                               [&](std::string_view, std::string_view v) {
                                 EXPECT_EQ(v.find(secret_part), std::string_view::npos);
                                 return true;
                               })
                  .ok());
  auto r = keys.Authenticate(k->secret);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->owner(), "ci");
  EXPECT_EQ(r->roles(0), "default:writer");

  std::string wrong = k->secret;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(keys.Authenticate(wrong).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(keys.Authenticate("weft_nope").status().code(), absl::StatusCode::kUnauthenticated);

  // Survives a restart; revocation too.
  Reopen();
  ApiKeyStore again(store_.get(), &clock_);
  ASSERT_TRUE(again.Load().ok());
  EXPECT_TRUE(again.Authenticate(k->secret).ok());
  ASSERT_TRUE(again.Revoke(k->record.id()).ok());
  auto revoked = again.Authenticate(k->secret);
  EXPECT_EQ(revoked.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(revoked.status().message().find("revoked"), std::string::npos);
  ASSERT_EQ(again.List().size(), 1u);
  EXPECT_TRUE(again.List()[0].revoked());
  EXPECT_EQ(again.Revoke("0000000000000000").code(), absl::StatusCode::kNotFound);
}

TEST_F(StoresTest, ApiKeysExpire) {
  ApiKeyStore keys(store_.get(), &clock_);
  auto k = keys.Create("tmp", {{"", Role::kAdmin}}, clock_.Now() + absl::Hours(1), "root");
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(keys.Authenticate(k->secret).ok());
  clock_.Advance(absl::Hours(2));
  EXPECT_NE(keys.Authenticate(k->secret).status().message().find("expired"), std::string::npos);
  EXPECT_FALSE(keys.Create("x", {}, std::nullopt, "root").ok());
  EXPECT_FALSE(keys.Create("x", {{"", Role::kAdmin}}, clock_.Now() - absl::Hours(1), "r").ok());
}

TEST_F(StoresTest, RoleGrantsPersistAndFilterByNamespace) {
  {
    RoleStore roles(store_.get());
    ASSERT_TRUE(roles.Grant("alice", {"default", Role::kWriter}).ok());
    ASSERT_TRUE(roles.Grant("alice", {"default", Role::kWriter}).ok());  // idempotent
    ASSERT_TRUE(roles.Grant("alice", {"other", Role::kReader}).ok());
    ASSERT_TRUE(roles.Grant("root", {"", Role::kAdmin}).ok());
    EXPECT_EQ(roles.Revoke("bob", {"default", Role::kWriter}).code(), absl::StatusCode::kNotFound);
  }
  Reopen();
  RoleStore roles(store_.get());
  ASSERT_TRUE(roles.Load().ok());
  EXPECT_EQ(roles.RolesOf("alice").size(), 2u);
  auto in_default = roles.List("default");
  ASSERT_EQ(in_default.size(), 2u);
  EXPECT_EQ(in_default["alice"], (std::vector<RoleGrant>{{"default", Role::kWriter}}));
  ASSERT_TRUE(roles.Revoke("alice", {"default", Role::kWriter}).ok());
  ASSERT_TRUE(roles.Revoke("alice", {"other", Role::kReader}).ok());
  EXPECT_TRUE(roles.RolesOf("alice").empty());
  EXPECT_EQ(roles.List("").size(), 1u);
}

TEST(RateLimiterTest, RefusesPastTheRateWithARetryHintAndRefills) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  RateLimiter limiter({.namespace_rps = 10, .caller_rps = 2}, &clock);
  EXPECT_TRUE(limiter.Admit("default", "alice").status.ok());
  EXPECT_TRUE(limiter.Admit("default", "alice").status.ok());
  RateDecision d = limiter.Admit("default", "alice");
  EXPECT_EQ(d.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(d.retry_after, absl::Milliseconds(500));
  EXPECT_NE(d.status.message().find("caller \"alice\""), std::string::npos) << d.status;
  EXPECT_NE(d.status.message().find("retry after 500ms"), std::string::npos) << d.status;
  // Another caller still gets through until the namespace runs dry.
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(limiter.Admit("default", "bob").status.ok());
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(limiter.Admit("default", "carol").status.ok());
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(limiter.Admit("default", "dave").status.ok());
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(limiter.Admit("default", "erin").status.ok());
  RateDecision ns = limiter.Admit("default", "frank");
  EXPECT_NE(ns.status.message().find("namespace \"default\""), std::string::npos) << ns.status;
  EXPECT_TRUE(limiter.Admit("other", "frank").status.ok());
  clock.Advance(absl::Milliseconds(500));
  EXPECT_TRUE(limiter.Admit("default", "alice").status.ok());
}

TEST(RateLimiterTest, OffByDefault) {
  FakeClock clock(absl::FromUnixSeconds(0));
  RateLimiter limiter({}, &clock);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.Admit("default", "a").status.ok());
}

}  // namespace
}  // namespace weft::frontend::auth
