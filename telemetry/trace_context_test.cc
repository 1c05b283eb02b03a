#include "telemetry/trace_context.h"

#include <gtest/gtest.h>

namespace weft::telemetry {
namespace {

constexpr char kValid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceParentTest, ParsesAndFormatsTheSpecExample) {
  auto tp = TraceParent::Parse(kValid);
  ASSERT_TRUE(tp.has_value());
  EXPECT_EQ(tp->ToString(), kValid);
  EXPECT_EQ(tp->TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(tp->SpanIdHex(), "00f067aa0ba902b7");
  EXPECT_TRUE(tp->sampled());
}

TEST(TraceParentTest, RefusesMalformedHeaders) {
  for (const char* bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",       // no flags
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",    // upper case
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",    // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",    // zero span id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // version ff
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  // v00 has 4 parts
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
       }) {
    EXPECT_FALSE(TraceParent::Parse(bad).has_value()) << bad;
  }
  // A later version may carry more fields after the four it shares with 00.
  EXPECT_TRUE(TraceParent::Parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")
                  .has_value());
}

TEST(TraceParentTest, ChildKeepsTheTraceWithANewSpan) {
  TraceParent root = TraceParent::NewRoot();
  TraceParent child = root.NewChild();
  EXPECT_EQ(child.TraceIdHex(), root.TraceIdHex());
  EXPECT_NE(child.SpanIdHex(), root.SpanIdHex());
  EXPECT_NE(TraceParent::NewRoot().TraceIdHex(), root.TraceIdHex());
  auto round_trip = TraceParent::Parse(child.ToString());
  ASSERT_TRUE(round_trip.has_value());
  EXPECT_EQ(round_trip->ToString(), child.ToString());
}

}  // namespace
}  // namespace weft::telemetry
