#include "weft/circuit_breaker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

namespace weft {
namespace {

using ::testing::HasSubstr;
using State = CircuitBreaker::State;

class CircuitBreakerTest : public ::testing::Test {
 protected:
  CircuitBreaker::Clock clock() {
    return [this] { return now_; };
  }
  void Advance(std::chrono::milliseconds d) { now_ += d; }

  // Runs one call through `b` that succeeds or throws; returns whether fn ran.
  static bool CallOnce(CircuitBreaker& b, bool fail, int* downstream_calls) {
    try {
      b.Call([&] {
        ++*downstream_calls;
        if (fail) throw std::runtime_error("downstream down");
        return 1;
      });
    } catch (const ApplicationError& e) {
      EXPECT_EQ(e.type(), "CircuitBreakerOpen");
      EXPECT_FALSE(e.non_retryable());
      return false;
    } catch (const std::runtime_error&) {
    }
    return true;
  }

  std::chrono::steady_clock::time_point now_{};
  const CircuitBreakerOptions options_{.window_size = 10,
                                       .minimum_calls = 4,
                                       .failure_rate_threshold = 0.5,
                                       .open_duration = std::chrono::seconds(10),
                                       .half_open_probes = 2};
};

TEST_F(CircuitBreakerTest, OpensAtTheFailureRateAndFailsFastWithoutCallingDownstream) {
  CircuitBreaker b("api", options_, clock());
  int calls = 0;
  // 1 failure in 3 calls: under the minimum volume, stays closed.
  CallOnce(b, false, &calls);
  CallOnce(b, true, &calls);
  CallOnce(b, false, &calls);
  EXPECT_EQ(b.state(), State::kClosed);
  CallOnce(b, true, &calls);  // 2 of 4 failed: 50%
  EXPECT_EQ(b.state(), State::kOpen);
  EXPECT_EQ(calls, 4);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(CallOnce(b, true, &calls));
  EXPECT_EQ(calls, 4);  // the downstream was not called while open
  absl::Status refused = b.Allow();
  EXPECT_TRUE(absl::IsUnavailable(refused));
  EXPECT_THAT(refused.message(), HasSubstr("circuit breaker \"api\" is open"));
}

TEST_F(CircuitBreakerTest, HalfOpenLetsProbesThroughThenClosesOrReopens) {
  CircuitBreaker b("api", options_, clock());
  int calls = 0;
  for (int i = 0; i < 4; ++i) CallOnce(b, true, &calls);
  ASSERT_EQ(b.state(), State::kOpen);

  Advance(std::chrono::seconds(10));
  // Two probe slots; a third concurrent call is refused.
  ASSERT_TRUE(b.Allow().ok());
  ASSERT_TRUE(b.Allow().ok());
  EXPECT_TRUE(absl::IsUnavailable(b.Allow()));
  EXPECT_EQ(b.state(), State::kHalfOpen);
  b.RecordSuccess();
  b.RecordFailure();  // one probe failed: open again, for a full open_duration
  EXPECT_EQ(b.state(), State::kOpen);
  Advance(std::chrono::seconds(9));
  EXPECT_FALSE(b.Allow().ok());

  Advance(std::chrono::seconds(1));
  EXPECT_TRUE(CallOnce(b, false, &calls));
  EXPECT_TRUE(CallOnce(b, false, &calls));
  EXPECT_EQ(b.state(), State::kClosed);
  // Closed with a fresh window: one failure does not reopen it.
  CallOnce(b, true, &calls);
  EXPECT_EQ(b.state(), State::kClosed);
}

TEST_F(CircuitBreakerTest, OldOutcomesLeaveTheWindow) {
  CircuitBreaker b("api", options_, clock());
  int calls = 0;
  for (int i = 0; i < 4; ++i) CallOnce(b, false, &calls);
  for (int i = 0; i < 4; ++i) CallOnce(b, true, &calls);  // 4 of 8 failed
  EXPECT_EQ(b.state(), State::kOpen);

  CircuitBreaker c("api2", options_, clock());
  for (int i = 0; i < 10; ++i) CallOnce(c, false, &calls);
  for (int i = 0; i < 4; ++i) CallOnce(c, true, &calls);  // 4 of the last 10
  EXPECT_EQ(c.state(), State::kClosed);
  CallOnce(c, true, &calls);  // 5 of the last 10
  EXPECT_EQ(c.state(), State::kOpen);
}

TEST_F(CircuitBreakerTest, RegistrySharesOneBreakerPerKey) {
  CircuitBreakerRegistry registry(options_, clock());
  CircuitBreaker& a = registry.Get("payments");
  EXPECT_EQ(&a, &registry.Get("payments"));
  EXPECT_NE(&a, &registry.Get("search"));
  EXPECT_EQ(a.name(), "payments");
}

}  // namespace
}  // namespace weft
