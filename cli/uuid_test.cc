#include "cli/uuid.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weft::cli {
namespace {

using ::testing::MatchesRegex;

constexpr char kUuidV4[] = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

TEST(UuidTest, ForcesVersionAndVariantBits) {
  EXPECT_EQ(UuidV4FromBits(0, 0), "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(UuidV4FromBits(~0ULL, ~0ULL), "ffffffff-ffff-4fff-bfff-ffffffffffff");
  EXPECT_EQ(UuidV4FromBits(0x0123456789abcdefULL, 0xfedcba9876543210ULL),
            "01234567-89ab-4def-bedc-ba9876543210");
}

TEST(UuidTest, RandomUuidsAreWellFormedAndDistinct) {
  const std::string a = NewUuidV4();
  const std::string b = NewUuidV4();
  EXPECT_THAT(a, MatchesRegex(kUuidV4));
  EXPECT_THAT(b, MatchesRegex(kUuidV4));
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace weft::cli
