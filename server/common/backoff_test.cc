#include "server/common/backoff.h"

#include <gtest/gtest.h>

#include "server/common/proto_time.h"

namespace weft {
namespace {

TEST(BackoffTest, DefaultsFollowTemporal) {
  api::v1::RetryPolicy p = WithRetryDefaults({});
  EXPECT_EQ(FromProto(p.initial_interval()), absl::Seconds(1));
  EXPECT_DOUBLE_EQ(p.backoff_coefficient(), 2.0);
  EXPECT_EQ(FromProto(p.maximum_interval()), absl::Seconds(100));
  EXPECT_EQ(p.maximum_attempts(), 0);
}

TEST(BackoffTest, GrowsExponentiallyUpToTheMaximum) {
  api::v1::RetryPolicy p;
  *p.mutable_initial_interval() = ToProto(absl::Milliseconds(200));
  p.set_backoff_coefficient(3.0);
  *p.mutable_maximum_interval() = ToProto(absl::Seconds(2));
  EXPECT_EQ(RetryBackoff(p, 2), absl::Milliseconds(200));
  EXPECT_EQ(RetryBackoff(p, 3), absl::Milliseconds(600));
  EXPECT_EQ(RetryBackoff(p, 4), absl::Milliseconds(1800));
  EXPECT_EQ(RetryBackoff(p, 5), absl::Seconds(2));
  EXPECT_EQ(RetryBackoff(p, 500), absl::Seconds(2));
}

TEST(BackoffTest, DecideRetry) {
  api::v1::RetryPolicy p = WithRetryDefaults({});
  p.set_maximum_attempts(3);
  p.add_non_retryable_error_types("BadInput");
  absl::Time now = absl::FromUnixSeconds(1000);
  absl::Time never = absl::InfiniteFuture();
  EXPECT_EQ(DecideRetry(p, 1, "Oops", false, now, never), api::v1::RETRY_STATE_IN_PROGRESS);
  EXPECT_EQ(DecideRetry(p, 3, "Oops", false, now, never),
            api::v1::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
  EXPECT_EQ(DecideRetry(p, 1, "BadInput", false, now, never),
            api::v1::RETRY_STATE_NON_RETRYABLE_FAILURE);
  EXPECT_EQ(DecideRetry(p, 1, "Oops", true, now, never),
            api::v1::RETRY_STATE_NON_RETRYABLE_FAILURE);
  // The next attempt would start after schedule-to-close expires.
  EXPECT_EQ(DecideRetry(p, 1, "Oops", false, now, now + absl::Milliseconds(500)),
            api::v1::RETRY_STATE_TIMEOUT);
}

}  // namespace
}  // namespace weft
