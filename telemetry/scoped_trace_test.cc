#include "telemetry/scoped_trace.h"

#include <gtest/gtest.h>

#include <string>

namespace weft::telemetry {
namespace {

std::string ContextValue(absl::string_view key) {
  std::string value;
  for (const auto& [k, v] : CurrentLogContext()) {
    if (k == key) value = v;  // the innermost wins
  }
  return value;
}

TEST(ScopedTraceTest, ContinuesTheCallersTraceWithANewSpanAndRestoresOnExit) {
  EXPECT_EQ(CurrentTrace(), nullptr);
  const std::string header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  {
    ScopedTrace outer = ScopedTrace::Continue(header, "vendor=1");
    ASSERT_NE(CurrentTrace(), nullptr);
    EXPECT_FALSE(outer.malformed());
    EXPECT_EQ(CurrentTrace()->TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_NE(CurrentTrace()->SpanIdHex(), "00f067aa0ba902b7");
    EXPECT_EQ(CurrentTracestate(), "vendor=1");
    EXPECT_EQ(ContextValue("trace_id"), "4bf92f3577b34da6a3ce929d0e0e4736");
    {
      ScopedTrace inner(TraceParent::NewRoot());
      EXPECT_NE(CurrentTrace()->TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
      EXPECT_EQ(CurrentTracestate(), "");
      EXPECT_EQ(ContextValue("trace_id"), inner.trace().TraceIdHex());
    }
    EXPECT_EQ(CurrentTrace()->TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(ContextValue("trace_id"), "4bf92f3577b34da6a3ce929d0e0e4736");
  }
  EXPECT_EQ(CurrentTrace(), nullptr);
  EXPECT_EQ(ContextValue("trace_id"), "");
}

TEST(ScopedTraceTest, AMalformedOrMissingHeaderStartsANewTrace) {
  ScopedTrace bad = ScopedTrace::Continue("not-a-traceparent", "vendor=1");
  EXPECT_TRUE(bad.malformed());
  EXPECT_EQ(CurrentTracestate(), "") << "tracestate without a valid traceparent is dropped";
  ScopedTrace none = ScopedTrace::Continue("", "");
  EXPECT_FALSE(none.malformed());
  EXPECT_NE(none.trace().TraceIdHex(), bad.trace().TraceIdHex());
}

}  // namespace
}  // namespace weft::telemetry
