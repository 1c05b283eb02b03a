#include "server/matching/matching_engine.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

namespace weft::matching {
namespace {

class MatchingEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft-matching-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Reopen();
  }
  void Reopen() {
    engine_.reset();
    store_.reset();
    auto s = storage::Store::Open(dir_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    engine_ = std::make_unique<MatchingEngine>(store_.get(), nullptr);
    ASSERT_TRUE(engine_->Recover().ok());
  }
  void TearDown() override {
    engine_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  static internal::BacklogTask Task(int64_t id) {
    internal::BacklogTask t;
    t.set_workflow_id("wf");
    t.set_scheduled_event_id(id);
    return t;
  }
  std::string dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<MatchingEngine> engine_;
  TaskQueueId q_{"ns", "q", internal::TASK_KIND_ACTIVITY};
};

TEST_F(MatchingEngineTest, BacklogIsFifoAndSurvivesRestart) {
  ASSERT_TRUE(engine_->AddTask(q_, Task(1)).ok());
  ASSERT_TRUE(engine_->AddTask(q_, Task(2)).ok());
  EXPECT_EQ(engine_->BacklogSize(q_), 2u);
  Reopen();
  EXPECT_EQ(engine_->BacklogSize(q_), 2u);
  auto t = engine_->PollTask(q_, absl::Now() + absl::Seconds(1), nullptr);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->task.scheduled_event_id(), 1);
  // Polled but not acked: a crash now must not lose it.
  Reopen();
  EXPECT_EQ(engine_->BacklogSize(q_), 2u);
  t = engine_->PollTask(q_, absl::Now() + absl::Seconds(1), nullptr);
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ((*t)->task.scheduled_event_id(), 1);
  engine_->AckTask(q_, **t, /*consumed=*/true);
  Reopen();  // the acked task is gone for good
  t = engine_->PollTask(q_, absl::Now() + absl::Seconds(1), nullptr);
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ((*t)->task.scheduled_event_id(), 2);
  engine_->AckTask(q_, **t, /*consumed=*/true);
  EXPECT_EQ(engine_->BacklogSize(q_), 0u);
}

TEST_F(MatchingEngineTest, WaitingPollerGetsTaskAndAddWaitsForItsVerdict) {
  std::optional<PolledTask> got;
  std::thread poller([&] {
    auto t = engine_->PollTask(q_, absl::Now() + absl::Seconds(30), nullptr);
    ASSERT_TRUE(t.ok());
    got = *t;
    ASSERT_TRUE(got.has_value());
    engine_->AckTask(q_, *got, /*consumed=*/true);
  });
  // Whichever way it goes (sync match, or backlog if the poller was not waiting yet), the
  // poller ends up with task 7 and nothing is left behind.
  ASSERT_TRUE(engine_->AddTask(q_, Task(7)).ok());
  poller.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->task.scheduled_event_id(), 7);
  EXPECT_EQ(engine_->BacklogSize(q_), 0u);
}

TEST_F(MatchingEngineTest, TaskGivenBackGoesToTheNextPoller) {
  ASSERT_TRUE(engine_->AddTask(q_, Task(3)).ok());
  auto t = engine_->PollTask(q_, absl::Now() + absl::Seconds(1), nullptr);
  ASSERT_TRUE(t.ok() && t->has_value());
  engine_->AckTask(q_, **t, /*consumed=*/false);
  auto again = engine_->PollTask(q_, absl::Now() + absl::Seconds(1), nullptr);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->task.scheduled_event_id(), 3);
  engine_->AckTask(q_, **again, /*consumed=*/true);
  EXPECT_EQ(engine_->BacklogSize(q_), 0u);
}

TEST_F(MatchingEngineTest, EmptyPollReturnsNothingAtDeadline) {
  auto t = engine_->PollTask(q_, absl::Now() + absl::Milliseconds(50), nullptr);
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->has_value());
}

TEST_F(MatchingEngineTest, CancelledPollReturnsCancelled) {
  auto t = engine_->PollTask(q_, absl::Now() + absl::Seconds(30), [] { return true; });
  EXPECT_TRUE(absl::IsCancelled(t.status()));
}

TEST_F(MatchingEngineTest, QueuesAreSeparateByKind) {
  ASSERT_TRUE(engine_->AddTask(q_, Task(1)).ok());
  TaskQueueId wq{"ns", "q", internal::TASK_KIND_WORKFLOW};
  auto t = engine_->PollTask(wq, absl::Now() + absl::Milliseconds(20), nullptr);
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->has_value());
}

}  // namespace
}  // namespace weft::matching
