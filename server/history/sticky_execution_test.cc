// Unit tests of sticky execution in the history engine (sticky_execution.cc), on a real store
// in a temporary directory, with matching replaced by a fake that records each task together
// with the queue it was handed to.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>

#include "server/common/proto_time.h"
#include "server/history/history_engine.h"
#include "server/history/keys.h"
#include "server/history/testing/engine_test_fixture.h"

namespace weft::history {
namespace {

using namespace api::v1;  // NOLINT: test brevity

constexpr char kNormal[] = "q";
constexpr char kSticky[] = "worker-1:sticky";

using QueueRecordingMatching = test_support::FakeMatching;

class StickyExecutionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = test_support::OpenTempStore("weft-sticky-test", &dir_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    HistoryEngine::Options opts;
    opts.num_shards = num_shards_;
    engine_ = std::make_unique<HistoryEngine>(store_.get(), &matching_, &clock_, nullptr, opts);
    ASSERT_TRUE(engine_->Start().ok());
  }
  void TearDown() override {
    engine_.reset();
    store_.reset();
    test_support::RemoveTempDir(dir_);
  }

  std::string Start(const std::string& id) {
    StartWorkflowExecutionRequest req;
    req.set_workflow_id(id);
    req.mutable_workflow_type()->set_name("Wf");
    req.mutable_task_queue()->set_name(kNormal);
    auto r = engine_->StartWorkflowExecution(ns_, req, nullptr);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->run_id() : "";
  }

  // Takes the next workflow task from `queue` and records it started.
  PollWorkflowTaskQueueResponse StartTaskFrom(const std::string& queue) {
    auto t = matching_.NextOnQueue(queue);
    EXPECT_TRUE(t.has_value()) << "no workflow task on queue " << queue;
    if (!t) return {};
    auto r = engine_->RecordWorkflowTaskStarted(ns_, *t, "w");
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : PollWorkflowTaskQueueResponse();
  }

  absl::Status Complete(const PollWorkflowTaskQueueResponse& wt, bool sticky,
                        absl::Duration sticky_timeout = absl::Seconds(5)) {
    RespondWorkflowTaskCompletedRequest req;
    req.set_task_token(wt.task_token());
    if (sticky) {
      auto* a = req.mutable_sticky_attributes();
      a->mutable_worker_task_queue()->set_name(kSticky);
      a->mutable_worker_task_queue()->set_kind(TASK_QUEUE_KIND_STICKY);
      a->mutable_worker_task_queue()->set_normal_name(kNormal);
      *a->mutable_schedule_to_start_timeout() = ToProto(sticky_timeout);
    }
    return engine_->RespondWorkflowTaskCompleted(ns_, req);
  }

  void Signal(const std::string& id) {
    SignalWorkflowExecutionRequest req;
    req.mutable_workflow_execution()->set_workflow_id(id);
    req.set_signal_name("go");
    ASSERT_TRUE(engine_->SignalWorkflowExecution(ns_, req).ok());
  }

  static std::vector<int64_t> Ids(const PollWorkflowTaskQueueResponse& r) {
    std::vector<int64_t> out;
    for (const auto& e : r.history().events()) out.push_back(e.event_id());
    return out;
  }

  const int num_shards_ = 4;
  std::string dir_;
  SystemClock clock_;
  QueueRecordingMatching matching_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<HistoryEngine> engine_;
  NamespaceRef ns_{"ns-id", "ns"};
};

TEST_F(StickyExecutionTest, NextTaskGoesToTheStickyQueueWithOnlyTheNewEvents) {
  Start("a");
  auto first = StartTaskFrom(kNormal);
  EXPECT_FALSE(first.partial_history());
  EXPECT_EQ(Ids(first), (std::vector<int64_t>{1, 2, 3}));
  ASSERT_TRUE(Complete(first, /*sticky=*/true).ok());  // event 4: WorkflowTaskCompleted
  Signal("a");                                         // 5: signaled, 6: scheduled

  auto second = StartTaskFrom(kSticky);  // 7: started
  EXPECT_TRUE(second.partial_history());
  EXPECT_EQ(second.previous_started_event_id(), 3);
  EXPECT_EQ(second.started_event_id(), 7);
  EXPECT_EQ(Ids(second), (std::vector<int64_t>{4, 5, 6, 7}));
  ASSERT_EQ(second.history().events_size(), 4);
  EXPECT_EQ(second.history().events(0).event_type(), EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  EXPECT_EQ(second.history().events(1).event_type(), EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  EXPECT_EQ(second.history().events(3).event_type(), EVENT_TYPE_WORKFLOW_TASK_STARTED);

  // Still sticky after another sticky completion; nothing went to the normal queue.
  ASSERT_TRUE(Complete(second, /*sticky=*/true).ok());  // 8
  Signal("a");                                          // 9, 10
  auto third = StartTaskFrom(kSticky);                  // 11
  EXPECT_EQ(Ids(third), (std::vector<int64_t>{8, 9, 10, 11}));
  EXPECT_FALSE(matching_.NextOnQueue(kNormal, absl::ZeroDuration()).has_value());
}

TEST_F(StickyExecutionTest, StickyDispatchReadsOnlyTheNewEventsFromStorage) {
  std::string run = Start("a");
  auto first = StartTaskFrom(kNormal);
  ASSERT_TRUE(Complete(first, /*sticky=*/true).ok());
  // Overwrite the run's first history batch (events 1-2) with garbage: a reader that scans
  // the history from its start fails on it, one that seeks to the new events does not.
  int shard = keys::ShardFor(ns_.id, "a", num_shards_);
  storage::Batch b;
  b.Put(storage::Cf::kHistory, keys::HistoryBatch(shard, ns_.id, "a", run, 1), "\xff\xff garbage");
  ASSERT_TRUE(store_->Write(b).ok());
  GetWorkflowExecutionHistoryRequest full;
  full.mutable_execution()->set_workflow_id("a");
  EXPECT_EQ(engine_->GetWorkflowExecutionHistory(ns_, full, absl::Now()).status().code(),
            absl::StatusCode::kDataLoss);

  Signal("a");
  auto second = StartTaskFrom(kSticky);
  EXPECT_TRUE(second.partial_history());
  EXPECT_EQ(Ids(second), (std::vector<int64_t>{4, 5, 6, 7}));
}

TEST_F(StickyExecutionTest, ATaskNotStartedInTimeMovesToTheNormalQueueWithFullHistory) {
  Start("a");
  auto first = StartTaskFrom(kNormal);
  ASSERT_TRUE(Complete(first, /*sticky=*/true, absl::Milliseconds(200)).ok());
  Signal("a");
  auto stale = matching_.NextOnQueue(kSticky);  // dispatched there, but nobody starts it
  ASSERT_TRUE(stale.has_value());

  auto moved = StartTaskFrom(kNormal);  // after the 200 ms schedule-to-start timeout
  EXPECT_FALSE(moved.partial_history());
  EXPECT_EQ(moved.history().events(0).event_id(), 1);
  EXPECT_EQ(moved.history().events(0).event_type(), EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  EXPECT_EQ(moved.started_event_id(), 7);
  // The worker that comes back late finds its copy already started.
  EXPECT_TRUE(absl::IsNotFound(engine_->RecordWorkflowTaskStarted(ns_, *stale, "w").status()));
  // Not sticky any more: completing without sticky attributes sends the next task to normal.
  ASSERT_TRUE(Complete(moved, /*sticky=*/false).ok());
  Signal("a");
  auto next = StartTaskFrom(kNormal);
  EXPECT_FALSE(next.partial_history());
  EXPECT_FALSE(matching_.NextOnQueue(kSticky, absl::ZeroDuration()).has_value());
}

TEST_F(StickyExecutionTest, ResetStickyTaskQueueMovesAWaitingTaskToTheNormalQueueAtOnce) {
  Start("a");
  auto first = StartTaskFrom(kNormal);
  ASSERT_TRUE(Complete(first, /*sticky=*/true, absl::Seconds(60)).ok());
  Signal("a");
  ASSERT_TRUE(matching_.NextOnQueue(kSticky).has_value());
  ResetStickyTaskQueueRequest reset;
  reset.mutable_execution()->set_workflow_id("a");
  ASSERT_TRUE(engine_->ResetStickyTaskQueue(ns_, reset).ok());
  ASSERT_TRUE(engine_->ResetStickyTaskQueue(ns_, reset).ok());  // idempotent
  auto moved = StartTaskFrom(kNormal);                          // well before the 60 s timer
  EXPECT_FALSE(moved.partial_history());
  EXPECT_EQ(moved.history().events(0).event_id(), 1);

  ResetStickyTaskQueueRequest unknown;
  unknown.mutable_execution()->set_workflow_id("nope");
  EXPECT_TRUE(absl::IsNotFound(engine_->ResetStickyTaskQueue(ns_, unknown)));
}

TEST_F(StickyExecutionTest, AFailedWorkflowTaskClearsTheStickyQueue) {
  Start("a");
  auto first = StartTaskFrom(kNormal);
  ASSERT_TRUE(Complete(first, /*sticky=*/true).ok());
  Signal("a");
  auto second = StartTaskFrom(kSticky);
  ASSERT_TRUE(second.partial_history());
  RespondWorkflowTaskFailedRequest fail;
  fail.set_task_token(second.task_token());
  fail.set_cause(WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE);
  ASSERT_TRUE(engine_->RespondWorkflowTaskFailed(ns_, fail).ok());
  auto retry = StartTaskFrom(kNormal);
  EXPECT_FALSE(retry.partial_history());
  EXPECT_EQ(retry.history().events(0).event_id(), 1);
}

TEST_F(StickyExecutionTest, ATimedOutWorkflowTaskClearsTheStickyQueue) {
  StartWorkflowExecutionRequest req;
  req.set_workflow_id("a");
  req.mutable_workflow_type()->set_name("Wf");
  req.mutable_task_queue()->set_name(kNormal);
  *req.mutable_workflow_task_timeout() = ToProto(absl::Milliseconds(300));
  ASSERT_TRUE(engine_->StartWorkflowExecution(ns_, req, nullptr).ok());
  auto first = StartTaskFrom(kNormal);
  ASSERT_TRUE(Complete(first, /*sticky=*/true).ok());
  Signal("a");
  auto second = StartTaskFrom(kSticky);  // started, then the worker never answers
  ASSERT_TRUE(second.partial_history());
  auto retry = StartTaskFrom(kNormal);  // after the 300 ms start-to-close timeout
  EXPECT_FALSE(retry.partial_history());
  EXPECT_EQ(retry.history().events(0).event_id(), 1);
}

}  // namespace
}  // namespace weft::history
