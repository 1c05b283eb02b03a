#include "storage/key_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace weft::storage {
namespace {

TEST(KeyCodecTest, IntegersSortLikeNumbers) {
  EXPECT_LT(KeyBuilder().U64(1).Done(), KeyBuilder().U64(256).Done());
  EXPECT_LT(KeyBuilder().U32(255).Done(), KeyBuilder().U32(65536).Done());
  EXPECT_LT(KeyBuilder().I64(-5).Done(), KeyBuilder().I64(3).Done());
  EXPECT_LT(KeyBuilder().I64(-500).Done(), KeyBuilder().I64(-5).Done());
}

TEST(KeyCodecTest, StringsSortAsTuples) {
  // ("a", 9) < ("ab", 1): a shorter string sorts first whatever follows it.
  EXPECT_LT(KeyBuilder().Str("a").U32(9).Done(), KeyBuilder().Str("ab").U32(1).Done());
  EXPECT_LT(KeyBuilder().Str("a").Done(), KeyBuilder().Str(std::string("a\0", 2)).Done());
  EXPECT_LT(KeyBuilder().Str(std::string("a\0", 2)).Done(), KeyBuilder().Str("ab").Done());
}

TEST(KeyCodecTest, RoundTrip) {
  std::string nul("x\0y", 3);
  std::string key = KeyBuilder().U32(7).Str("ns").Str(nul).I64(-42).U64(99).Done();
  KeyReader r(key);
  EXPECT_EQ(r.U32(), 7u);
  EXPECT_EQ(r.Str(), "ns");
  EXPECT_EQ(r.Str(), nul);
  EXPECT_EQ(r.I64(), -42);
  EXPECT_EQ(r.U64(), 99u);
  EXPECT_TRUE(r.AtEnd());
}

TEST(KeyCodecTest, ReaderRejectsTruncatedInput) {
  std::string key = KeyBuilder().Str("abc").Done();
  KeyReader r(std::string_view(key).substr(0, key.size() - 1));
  EXPECT_EQ(r.Str(), std::nullopt);
  KeyReader r2("\x01\x02");
  EXPECT_EQ(r2.U32(), std::nullopt);
}

TEST(KeyCodecTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("ab"), "ac");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixSuccessor("\xff\xff"), "");
}

}  // namespace
}  // namespace weft::storage
