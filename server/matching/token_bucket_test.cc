#include "server/matching/token_bucket.h"

#include <gtest/gtest.h>

namespace weft::matching {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TEST(TokenBucketTest, UnlimitedAlwaysGives) {
  TokenBucket b;
  EXPECT_FALSE(b.limited());
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(b.TryTake(kT0));
  EXPECT_EQ(b.NextTokenTime(kT0), kT0);
}

TEST(TokenBucketTest, OneTaskAtOnceThenTheRate) {
  TokenBucket b;
  b.SetRate(2, kT0);
  EXPECT_TRUE(b.TryTake(kT0));  // a fresh bucket lets one through
  EXPECT_FALSE(b.TryTake(kT0));
  EXPECT_EQ(b.NextTokenTime(kT0), kT0 + absl::Milliseconds(500));
  EXPECT_FALSE(b.TryTake(kT0 + absl::Milliseconds(499)));
  EXPECT_TRUE(b.TryTake(kT0 + absl::Milliseconds(500)));
  EXPECT_FALSE(b.TryTake(kT0 + absl::Milliseconds(500)));
}

TEST(TokenBucketTest, IdleTimeDoesNotBuildABurst) {
  TokenBucket b;
  b.SetRate(10, kT0);
  EXPECT_TRUE(b.TryTake(kT0));
  absl::Time later = kT0 + absl::Hours(1);
  EXPECT_TRUE(b.TryTake(later));
  EXPECT_FALSE(b.TryTake(later));  // at most one token is ever saved up
}

TEST(TokenBucketTest, AtMostOnePlusRateTimesIntervalInAnyInterval) {
  TokenBucket b;
  b.SetRate(4, kT0);
  int taken = 0;
  // Try every millisecond for 10 s: 1 + 4 * 10 tasks, no more.
  for (int ms = 0; ms <= 10'000; ++ms) {
    if (b.TryTake(kT0 + absl::Milliseconds(ms))) ++taken;
  }
  EXPECT_EQ(taken, 41);
}

TEST(TokenBucketTest, RateChangesKeepWhatWasEarned) {
  TokenBucket b;
  b.SetRate(1, kT0);
  EXPECT_TRUE(b.TryTake(kT0));
  b.SetRate(0.5, kT0 + absl::Milliseconds(500));  // half a token earned at 1/s
  // The other half at 0.5/s takes one more second.
  EXPECT_EQ(b.NextTokenTime(kT0 + absl::Milliseconds(500)), kT0 + absl::Milliseconds(1500));
  b.SetRate(0, kT0 + absl::Milliseconds(600));  // limit lifted
  EXPECT_TRUE(b.TryTake(kT0 + absl::Milliseconds(600)));
  EXPECT_TRUE(b.TryTake(kT0 + absl::Milliseconds(600)));
}

}  // namespace
}  // namespace weft::matching
