#include "activity_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"

namespace weft::detail {
namespace {

TEST(ActivityExecutorTest, ReservationsNeverExceedTheSlots) {
  ActivityExecutor ex(4);
  ASSERT_TRUE(ex.Acquire());       // a poll in flight
  EXPECT_EQ(ex.TryAcquire(2), 2);  // two eager activities
  EXPECT_EQ(ex.TryAcquire(5), 1);  // only one left
  EXPECT_EQ(ex.TryAcquire(1), 0);  // none left: never waits
  EXPECT_EQ(ex.used(), 4);
  ex.Release(2);  // an answer came back with fewer tasks
  EXPECT_EQ(ex.used(), 2);
  EXPECT_EQ(ex.TryAcquire(0), 0);
  EXPECT_EQ(ex.TryAcquire(-1), 0);
  ex.Release(2);
  EXPECT_EQ(ex.used(), 0);
}

TEST(ActivityExecutorTest, ARunningTaskHoldsItsSlotUntilItReturns) {
  ActivityExecutor ex(1);
  ASSERT_TRUE(ex.Acquire());
  absl::Notification started, finish;
  ex.Run([&] {
    started.Notify();
    finish.WaitForNotification();
  });
  started.WaitForNotification();
  EXPECT_EQ(ex.TryAcquire(1), 0);
  // A poller waiting for a slot gets it once the task returns.
  std::atomic<bool> got{false};
  std::thread poller([&] { got = ex.Acquire(); });
  finish.Notify();
  poller.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(ex.used(), 1);
  ex.Release();
}

TEST(ActivityExecutorTest, StopWakesWaitersAndJoinFinishesEveryTask) {
  ActivityExecutor ex(2);
  ASSERT_EQ(ex.TryAcquire(2), 2);
  std::atomic<bool> got{true};
  std::thread poller([&] { got = ex.Acquire(); });  // waits: no slot free
  ex.Stop();
  poller.join();
  EXPECT_FALSE(got);
  EXPECT_EQ(ex.TryAcquire(1), 0);
  // Tasks the server already started still run after Stop(); Join() waits for them.
  std::atomic<int> ran{0};
  ex.Run([&] { ++ran; });
  ex.Run([&] { ++ran; });
  ex.Join();
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(ex.used(), 0);
}

}  // namespace
}  // namespace weft::detail
