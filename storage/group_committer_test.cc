#include "storage/group_committer.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace weft::storage {
namespace {

class GroupCommitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft-gc-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = Store::Open(dir_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(GroupCommitterTest, ConcurrentCommitsAllLandAndAreGrouped) {
  std::atomic<int> groups{0};
  std::atomic<int> transitions{0};
  GroupCommitter::Options opts;
  opts.on_commit = [&](double, int n, size_t) {
    groups++;
    transitions += n;
  };
  GroupCommitter committer(store_.get(), opts);
  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Batch b;
        std::string k = std::to_string(t) + "/" + std::to_string(i);
        b.Put(Cf::kExecutions, k, "v");
        b.Put(Cf::kHistory, k, "h");
        ASSERT_TRUE(committer.Commit(std::move(b)).ok());
        // Acknowledged means readable.
        ASSERT_TRUE(store_->Get(Cf::kHistory, k).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(transitions.load(), kThreads * kPerThread);
  EXPECT_LE(groups.load(), kThreads * kPerThread);
  EXPECT_GE(groups.load(), 1);
}

TEST_F(GroupCommitterTest, RefusedGroupWritesNothing) {
  GroupCommitter committer(store_.get(), {});
  Batch b;
  b.Put(Cf::kExecutions, "k", "v");
  absl::Status s = committer.Commit(
      std::move(b), {.precheck = [] { return absl::AbortedError("range_id moved"); }});
  EXPECT_TRUE(absl::IsAborted(s)) << s;
  EXPECT_TRUE(absl::IsNotFound(store_->Get(Cf::kExecutions, "k").status()));
  // Others are not affected by one refused batch.
  Batch ok;
  ok.Put(Cf::kExecutions, "k2", "v");
  EXPECT_TRUE(committer.Commit(std::move(ok), {.sync = false}).ok());
  EXPECT_TRUE(store_->Get(Cf::kExecutions, "k2").ok());
}

}  // namespace
}  // namespace weft::storage
