#include "cli/duration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace weft::cli {
namespace {

using ::testing::HasSubstr;

TEST(ParseDurationTest, AcceptsGoStyleDurations) {
  EXPECT_EQ(*ParseDuration("10s"), absl::Seconds(10));
  EXPECT_EQ(*ParseDuration("1m30s"), absl::Seconds(90));
  EXPECT_EQ(*ParseDuration("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseDuration("2h"), absl::Hours(2));
  EXPECT_EQ(*ParseDuration("3d"), absl::Hours(72));
  EXPECT_EQ(*ParseDuration("1d2h3m4s5ms"),
            absl::Hours(26) + absl::Minutes(3) + absl::Seconds(4) + absl::Milliseconds(5));
  EXPECT_EQ(*ParseDuration("90m"), absl::Minutes(90));
  EXPECT_EQ(*ParseDuration("0m1s"), absl::Seconds(1));
}

TEST(ParseDurationTest, RejectsMalformedText) {
  for (const char* bad : {"",
                          "10",
                          "s",
                          "1.5s",
                          "-1s",
                          "+1s",
                          "10x",
                          " 10s",
                          "10s ",
                          "1 m",
                          "1M",
                          "1S",
                          "10sec",
                          "1h-5m",
                          "ms10",
                          "0s",
                          "0ms0s",
                          "1e3s",
                          "99999999999999999999s",
                          "100000000d"}) {
    absl::StatusOr<absl::Duration> d = ParseDuration(bad);
    EXPECT_FALSE(d.ok()) << "accepted \"" << bad << "\" as " << *d;
    if (!d.ok()) {
      EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(d.status().message(), HasSubstr(absl::StrCat("\"", bad, "\"")));
    }
  }
}

TEST(ParseDurationTest, ErrorSaysWhatIsWrongAndWhatIsAccepted) {
  absl::Status s = ParseDuration("10x").status();
  EXPECT_THAT(s.message(), HasSubstr("unknown unit \"x\""));
  EXPECT_THAT(s.message(), HasSubstr("1m30s"));
  EXPECT_THAT(ParseDuration("10").status().message(), HasSubstr("missing unit"));
}

TEST(FormatDurationTest, UsesLargestUnitsFirst) {
  EXPECT_EQ(DurationToText(absl::Seconds(90)), "1m30s");
  EXPECT_EQ(DurationToText(absl::Hours(72)), "3d");
  EXPECT_EQ(DurationToText(absl::Milliseconds(500)), "500ms");
  EXPECT_EQ(DurationToText(absl::Hours(25) + absl::Milliseconds(1)), "1d1h1ms");
  EXPECT_EQ(DurationToText(absl::ZeroDuration()), "0s");
}

TEST(FormatDurationTest, RoundTripsThroughParse) {
  for (const char* text : {"1d2h3m4s5ms", "10s", "59m59s", "7d"}) {
    EXPECT_EQ(DurationToText(*ParseDuration(text)), text);
  }
}

TEST(ProtoDurationTest, ConvertsBothWays) {
  google::protobuf::Duration d = ToProtoDuration(absl::Milliseconds(1500));
  EXPECT_EQ(d.seconds(), 1);
  EXPECT_EQ(d.nanos(), 500000000);
  EXPECT_EQ(FromProtoDuration(d), absl::Milliseconds(1500));
}

}  // namespace
}  // namespace weft::cli
