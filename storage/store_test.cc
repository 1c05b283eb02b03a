#include "storage/store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

namespace weft::storage {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft-store-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(StoreTest, BatchIsVisibleAfterReopen) {
  {
    auto store = Store::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    Batch b;
    b.Put(Cf::kExecutions, "k1", "v1");
    b.Put(Cf::kHistory, "k1", "h1");
    b.Delete(Cf::kExecutions, "absent");
    ASSERT_TRUE((*store)->Write(b).ok());
  }
  auto store = Store::Open(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*(*store)->Get(Cf::kExecutions, "k1"), "v1");
  EXPECT_EQ(*(*store)->Get(Cf::kHistory, "k1"), "h1");
  // Column families are separate key spaces.
  EXPECT_TRUE(absl::IsNotFound((*store)->Get(Cf::kCurrent, "k1").status()));
}

TEST_F(StoreTest, SecondOpenOfSameDirectoryIsRefused) {
  auto first = Store::Open(dir_);
  ASSERT_TRUE(first.ok());
  auto second = Store::Open(dir_);
  EXPECT_FALSE(second.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
}

TEST_F(StoreTest, ScansInOrderWithinPrefix) {
  auto store = Store::Open(dir_);
  ASSERT_TRUE(store.ok());
  for (const char* k : {"a1", "b2", "b1", "b3", "c1"}) {
    ASSERT_TRUE((*store)->Put(Cf::kMeta, k, k).ok());
  }
  std::vector<std::string> seen;
  ASSERT_TRUE((*store)
                  ->ScanPrefix(Cf::kMeta, "b",
                               [&](std::string_view k, std::string_view) {
                                 seen.emplace_back(k);
                                 return true;
                               })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"b1", "b2", "b3"}));

  seen.clear();
  ASSERT_TRUE((*store)
                  ->ScanReverse(
                      Cf::kMeta, "b", "c",
                      [&](std::string_view k, std::string_view) {
                        seen.emplace_back(k);
                        return true;
                      },
                      2)
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"b3", "b2"}));
}

}  // namespace
}  // namespace weft::storage
