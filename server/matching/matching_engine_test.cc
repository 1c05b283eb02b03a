#include "server/matching/matching_engine.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "storage/key_codec.h"

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
    engine_ = std::make_unique<MatchingEngine>(store_.get(), metrics_, clock_);
    ASSERT_TRUE(engine_->Recover().ok());
  }
  void TearDown() override {
    engine_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  static internal::BacklogTask Task(int64_t id, int priority = 0) {
    internal::BacklogTask t;
    t.set_workflow_id("wf");
    t.set_scheduled_event_id(id);
    t.set_priority(priority);
    return t;
  }
  // Polls (deadline: now on the engine's clock, so it never waits) and acks what it got;
  // the task's scheduled_event_id, or -1 when nothing was handed out.
  int64_t PollNow(const PollerInfo& poller = {}) {
    absl::Time now = clock_ ? clock_->Now() : absl::Now();
    auto t = engine_->PollTask(q_, poller, now, nullptr);
    EXPECT_TRUE(t.ok()) << t.status();
    if (!t.ok() || !t->has_value()) return -1;
    engine_->AckTask(q_, **t, /*consumed=*/true);
    return (*t)->task.scheduled_event_id();
  }
  const Clock* clock_ = nullptr;  // null: the system clock
  Metrics* metrics_ = nullptr;
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

TEST_F(MatchingEngineTest, HighestPriorityFirstAndFifoWithinAPriority) {
  // (event id, priority); 0 is the default, 3.
  std::vector<std::pair<int64_t, int>> added = {{1, 5}, {2, 3}, {3, 1}, {4, 3},
                                                {5, 0}, {6, 1}, {7, 2}};
  for (auto [id, priority] : added) ASSERT_TRUE(engine_->AddTask(q_, Task(id, priority)).ok());
  Reopen();  // the order is in the keys on disk, not only in memory
  std::vector<int64_t> order;
  for (int64_t id = PollNow(); id != -1; id = PollNow()) order.push_back(id);
  EXPECT_EQ(order, (std::vector<int64_t>{3, 6, 7, 2, 4, 5, 1}));
  EXPECT_EQ(engine_->BacklogSize(q_), 0u);
}

TEST_F(MatchingEngineTest, TaskGivenBackKeepsItsPlaceInItsPriority) {
  ASSERT_TRUE(engine_->AddTask(q_, Task(1, 3)).ok());
  ASSERT_TRUE(engine_->AddTask(q_, Task(2, 3)).ok());
  auto t = engine_->PollTask(q_, absl::Now(), nullptr);
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ((*t)->task.scheduled_event_id(), 1);
  ASSERT_TRUE(engine_->AddTask(q_, Task(3, 1)).ok());
  engine_->AckTask(q_, **t, /*consumed=*/false);
  EXPECT_EQ(PollNow(), 3);
  EXPECT_EQ(PollNow(), 1);
  EXPECT_EQ(PollNow(), 2);
}

TEST_F(MatchingEngineTest, RowsInTheKeyFormatBeforePrioritiesAreServedAfterAnUpgrade) {
  // A row as written before priorities: namespace, queue, kind, task id; no priority.
  internal::BacklogTask old = Task(42);
  old.clear_priority();
  std::string old_key =
      storage::KeyBuilder().Str("ns").Str("q").U32(internal::TASK_KIND_ACTIVITY).U64(7).Done();
  storage::Batch b;
  b.Put(storage::Cf::kTaskQueues, old_key, old.SerializeAsString());
  ASSERT_TRUE(store_->Write(b, /*sync=*/true).ok());
  Reopen();
  EXPECT_EQ(engine_->BacklogSize(q_), 1u);
  // It was rewritten with the default priority: a priority-1 task goes first, a priority-5
  // task after it, and the new task ids continue after the old ones.
  ASSERT_TRUE(engine_->AddTask(q_, Task(43, 5)).ok());
  ASSERT_TRUE(engine_->AddTask(q_, Task(44, 1)).ok());
  std::vector<std::string> keys;
  ASSERT_TRUE(store_
                  ->Scan(storage::Cf::kTaskQueues, "", "",
                         [&](std::string_view k, std::string_view) {
                           keys.emplace_back(k);
                           return true;
                         })
                  .ok());
  ASSERT_EQ(keys.size(), 3u);
  for (const std::string& k : keys) EXPECT_NE(k, old_key);
  Reopen();
  EXPECT_EQ(PollNow(), 44);
  EXPECT_EQ(PollNow(), 42);
  EXPECT_EQ(PollNow(), 43);
  Reopen();
  EXPECT_EQ(engine_->BacklogSize(q_), 0u);
}

class MatchingEngineFakeClockTest : public MatchingEngineTest {
 protected:
  void SetUp() override {
    clock_ = &fake_;
    MatchingEngineTest::SetUp();
  }
  FakeClock fake_{absl::FromUnixSeconds(1'700'000'000)};
};

TEST_F(MatchingEngineFakeClockTest, RateLimitSpacesDispatchesAndNeverDropsTasks) {
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE(engine_->AddTask(q_, Task(i)).ok());
  PollerInfo slow{"slow-worker", 2};  // two tasks per second
  EXPECT_EQ(PollNow(slow), 1);
  EXPECT_EQ(PollNow(slow), -1);  // tasks wait, but the next token is 500 ms away
  fake_.Advance(absl::Milliseconds(499));
  EXPECT_EQ(PollNow(slow), -1);
  fake_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(PollNow(slow), 2);
  EXPECT_EQ(PollNow(slow), -1);

  // A poll with time to spare waits for the token instead of returning empty.
  std::optional<PolledTask> got;
  std::thread waiter([&] {
    auto t = engine_->PollTask(q_, slow, fake_.Now() + absl::Seconds(30), nullptr);
    ASSERT_TRUE(t.ok());
    got = *t;
  });
  fake_.Advance(absl::Milliseconds(500));
  waiter.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->task.scheduled_event_id(), 3);
  engine_->AckTask(q_, *got, /*consumed=*/true);

  auto d = engine_->DescribeTaskQueue(q_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->task_queue_status().rate_per_second(), 2);
  EXPECT_EQ(d->task_queue_status().tasks_dispatched(), 3);
  EXPECT_EQ(d->task_queue_status().backlog_count_hint(), 1);

  // The lowest rate among current pollers holds; one asking for none does not lift it.
  fake_.Advance(absl::Seconds(10));
  EXPECT_EQ(PollNow({"unlimited-worker", 0}), 4);
  ASSERT_TRUE(engine_->AddTask(q_, Task(5)).ok());
  ASSERT_TRUE(engine_->AddTask(q_, Task(6)).ok());
  EXPECT_EQ(PollNow({"unlimited-worker", 0}), -1);
  EXPECT_EQ(engine_->DescribeTaskQueue(q_)->task_queue_status().rate_per_second(), 2);
  (void)PollNow({"slower-worker", 0.5});
  EXPECT_EQ(engine_->DescribeTaskQueue(q_)->task_queue_status().rate_per_second(), 0.5);

  // Once the limited pollers are gone (not seen for 5 minutes), the limit goes with them.
  fake_.Advance(MatchingEngine::kPollerExpiry + absl::Seconds(1));
  EXPECT_NE(PollNow({"unlimited-worker", 0}), -1);
  EXPECT_NE(PollNow({"unlimited-worker", 0}), -1);
  EXPECT_EQ(engine_->BacklogSize(q_), 0u);
  EXPECT_EQ(engine_->DescribeTaskQueue(q_)->task_queue_status().rate_per_second(), 0);
}

TEST_F(MatchingEngineFakeClockTest, ThrottledPollTakesTheHighestPriorityWhenItsTurnComes) {
  ASSERT_TRUE(engine_->AddTask(q_, Task(1, 5)).ok());
  ASSERT_TRUE(engine_->AddTask(q_, Task(2, 5)).ok());
  EXPECT_EQ(PollNow({"a", 1}), 1);
  std::optional<PolledTask> got;
  std::thread waiter([&] {
    auto t = engine_->PollTask(q_, {"b", 1}, fake_.Now() + absl::Seconds(30), nullptr);
    ASSERT_TRUE(t.ok());
    got = *t;
  });
  // Once "b" is listed it waits for a token (listing and waiting happen under one lock).
  for (absl::Time end = absl::Now() + absl::Seconds(10); absl::Now() < end;) {
    if (engine_->DescribeTaskQueue(q_)->pollers_size() == 2) break;
  }
  ASSERT_EQ(engine_->DescribeTaskQueue(q_)->pollers_size(), 2);
  // Offered while "b" waits: no sync match past the waiting backlog, but it goes first.
  ASSERT_TRUE(engine_->AddTask(q_, Task(3, 1)).ok());
  fake_.Advance(absl::Seconds(1));
  waiter.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->task.scheduled_event_id(), 3);
  engine_->AckTask(q_, *got, /*consumed=*/true);
}

TEST_F(MatchingEngineFakeClockTest, DescribeListsRecentPollersAndTheBacklogByPriority) {
  auto empty = engine_->DescribeTaskQueue({"ns", "never-seen", internal::TASK_KIND_ACTIVITY, ""});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->pollers_size(), 0);
  EXPECT_EQ(empty->task_queue_status().backlog_count_hint(), 0);

  absl::Time first = fake_.Now();
  EXPECT_EQ(PollNow({"old-worker", 0}), -1);
  fake_.Advance(absl::Minutes(3));
  absl::Time second = fake_.Now();
  EXPECT_EQ(PollNow({"new-worker", 10}), -1);
  for (auto [id, priority] : std::vector<std::pair<int, int>>{{1, 1}, {2, 3}, {3, 3}, {4, 5}}) {
    ASSERT_TRUE(engine_->AddTask(q_, Task(id, priority)).ok());
  }
  auto in_flight = engine_->PollTask(q_, {"new-worker", 10}, fake_.Now(), nullptr);
  ASSERT_TRUE(in_flight.ok() && in_flight->has_value());  // polled, not yet acked: still counted

  auto d = engine_->DescribeTaskQueue(q_);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->pollers_size(), 2);
  EXPECT_EQ(d->pollers(0).identity(), "new-worker");  // most recent first
  EXPECT_EQ(d->pollers(0).rate_per_second(), 10);
  EXPECT_EQ(d->pollers(0).last_access_time().seconds(), absl::ToUnixSeconds(second));
  EXPECT_EQ(d->pollers(1).identity(), "old-worker");
  EXPECT_EQ(d->pollers(1).last_access_time().seconds(), absl::ToUnixSeconds(first));
  EXPECT_EQ(d->task_queue_status().backlog_count_hint(), 4);
  EXPECT_EQ(d->task_queue_status().rate_per_second(), 10);
  std::map<int32_t, int64_t> by_priority(d->task_queue_status().backlog_by_priority().begin(),
                                         d->task_queue_status().backlog_by_priority().end());
  EXPECT_EQ(by_priority, (std::map<int32_t, int64_t>{{1, 1}, {3, 2}, {5, 1}}));
  engine_->AckTask(q_, **in_flight, /*consumed=*/true);
  EXPECT_EQ(engine_->DescribeTaskQueue(q_)->task_queue_status().tasks_dispatched(), 1);

  // Pollers not seen for 5 minutes drop out.
  fake_.Advance(absl::Minutes(2) + absl::Seconds(1));
  d = engine_->DescribeTaskQueue(q_);
  ASSERT_EQ(d->pollers_size(), 1);
  EXPECT_EQ(d->pollers(0).identity(), "new-worker");
}

TEST_F(MatchingEngineFakeClockTest, ThrottledPollsAreCountedInMetrics) {
  Metrics metrics;
  metrics_ = &metrics;
  Reopen();
  TaskQueueId q{"ns-id", "q", internal::TASK_KIND_ACTIVITY, "ns"};
  auto throttled = [&] {
    for (const auto& family : metrics.registry()->Collect()) {
      if (family.name != "weft_task_queue_dispatch_throttled_total") continue;
      for (const auto& m : family.metric) {
        std::map<std::string, std::string> labels;
        for (const auto& l : m.label) labels[l.name] = l.value;
        if (labels == std::map<std::string, std::string>{
                          {"namespace", "ns"}, {"task_queue", "q"}, {"kind", "activity"}}) {
          return m.counter.value;
        }
      }
    }
    return 0.0;
  };
  ASSERT_TRUE(engine_->AddTask(q, Task(1)).ok());
  ASSERT_TRUE(engine_->AddTask(q, Task(2)).ok());
  auto poll = [&] { return engine_->PollTask(q, {"w", 1}, fake_.Now(), nullptr); };
  auto first = poll();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ(throttled(), 0);
  auto second = poll();
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->has_value());
  EXPECT_EQ(throttled(), 1);
  engine_->AckTask(q, **first, /*consumed=*/true);
  engine_.reset();  // before the metrics it reports to
}

}  // namespace
}  // namespace weft::matching
