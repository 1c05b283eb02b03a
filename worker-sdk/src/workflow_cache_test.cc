// The sticky cache of a worker: LRU order, capacity, and the eviction callback the worker
// turns into ResetStickyTaskQueue calls.
#include "workflow_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace weft {
namespace {

class RunCacheTest : public ::testing::Test {
 protected:
  RunCache<int> Make(size_t capacity) {
    return RunCache<int>(capacity, [this](const RunCacheKey& k) {
      evicted_.push_back(k.workflow_id + "/" + k.run_id);
    });
  }
  static std::unique_ptr<int> V(int v) { return std::make_unique<int>(v); }
  std::vector<std::string> evicted_;
};

TEST_F(RunCacheTest, TakeRemovesTheEntryAndAMissReturnsNull) {
  auto cache = Make(2);
  cache.Put({"wf-a", "a"}, V(1));
  auto a = cache.Take("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(*a, 1);
  EXPECT_EQ(cache.Take("a"), nullptr);  // in use by one task at a time
  EXPECT_EQ(cache.Take("nope"), nullptr);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_TRUE(evicted_.empty());
}

TEST_F(RunCacheTest, ThePutPastTheCapacityEvictsTheLeastRecentlyUsedRun) {
  auto cache = Make(2);
  cache.Put({"wf-a", "a"}, V(1));
  cache.Put({"wf-b", "b"}, V(2));
  // "a" is used again (taken for a task and put back): "b" is now the oldest.
  cache.Put({"wf-a", "a"}, cache.Take("a"));
  EXPECT_EQ(cache.Put({"wf-c", "c"}, V(3)), 1u);
  EXPECT_EQ(evicted_, (std::vector<std::string>{"wf-b/b"}));
  EXPECT_EQ(cache.RunIds(), (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(cache.Take("b"), nullptr);
  ASSERT_NE(cache.Take("a"), nullptr);
}

TEST_F(RunCacheTest, PuttingARunAgainReplacesItWithoutEviction) {
  auto cache = Make(2);
  cache.Put({"wf-a", "a"}, V(1));
  cache.Put({"wf-a", "a"}, V(7));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(*cache.Take("a"), 7);
  EXPECT_TRUE(evicted_.empty());
}

TEST_F(RunCacheTest, EraseDropsWithoutTheCallbackAndClearEvictsEverything) {
  auto cache = Make(3);
  cache.Put({"wf-a", "a"}, V(1));
  cache.Put({"wf-b", "b"}, V(2));
  cache.Put({"wf-c", "c"}, V(3));
  EXPECT_TRUE(cache.Erase("b"));
  EXPECT_FALSE(cache.Erase("b"));
  EXPECT_TRUE(evicted_.empty());
  cache.Clear();
  EXPECT_EQ(evicted_, (std::vector<std::string>{"wf-c/c", "wf-a/a"}));
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(RunCacheTest, CapacityZeroKeepsNothing) {
  auto cache = Make(0);
  EXPECT_EQ(cache.Put({"wf-a", "a"}, V(1)), 1u);
  EXPECT_EQ(evicted_, (std::vector<std::string>{"wf-a/a"}));
  EXPECT_EQ(cache.Take("a"), nullptr);
}

}  // namespace
}  // namespace weft
