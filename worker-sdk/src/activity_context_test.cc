#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "weft/activity.h"

namespace weft {
namespace {

class ActivityContextTest : public ::testing::Test {
 protected:
  ActivityContext MakeContext(std::chrono::milliseconds heartbeat_timeout) {
    ActivityInfo info;
    info.heartbeat_timeout = heartbeat_timeout;
    return ActivityContext(std::move(info), ToPayloads(7), [this](const api::v1::Payloads& d) {
      sent_.push_back(FromFirstPayload<int>(d));
      return cancel_;
    });
  }

  std::vector<int> sent_;
  bool cancel_ = false;
};

TEST_F(ActivityContextTest, ThrottledHeartbeatsKeepTheLatestDetailsForTheFlush) {
  ActivityContext ctx = MakeContext(std::chrono::minutes(1));  // 48 s throttle, capped at 30 s
  EXPECT_EQ(ctx.HeartbeatDetails<int>(), 7);                   // the previous attempt's
  ctx.Heartbeat(1);
  ctx.Heartbeat(2);
  ctx.Heartbeat(3);
  EXPECT_EQ(sent_, std::vector<int>({1}));
  ctx.FlushHeartbeat();
  EXPECT_EQ(sent_, std::vector<int>({1, 3}));
  ctx.FlushHeartbeat();  // nothing new
  EXPECT_EQ(sent_, std::vector<int>({1, 3}));
}

TEST_F(ActivityContextTest, CancelLearnedFromAHeartbeatSticks) {
  ActivityContext ctx = MakeContext(std::chrono::milliseconds(0));
  EXPECT_FALSE(ctx.IsCancelRequested());
  cancel_ = true;
  ctx.Heartbeat(1);
  EXPECT_TRUE(ctx.IsCancelRequested());
  cancel_ = false;
  ctx.Heartbeat(2);  // throttled
  ctx.FlushHeartbeat();
  EXPECT_TRUE(ctx.IsCancelRequested());
  EXPECT_EQ(sent_, std::vector<int>({1, 2}));
}

}  // namespace
}  // namespace weft
