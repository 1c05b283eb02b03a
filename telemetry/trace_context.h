// W3C trace context (https://www.w3.org/TR/trace-context/): parsing, formatting and span ids
// for the `traceparent` header that follows one request from a client through the server to
// the worker and back.
//
//   auto parent = TraceParent::Parse(metadata_value);          // nullopt if malformed
//   TraceParent mine = parent ? parent->NewChild() : TraceParent::NewRoot();
//   send("traceparent", mine.ToString());
//
// Thread safety: values are immutable; NewRoot/NewChild draw from a thread-local generator and
// may be called from any thread.
#ifndef WEFT_TELEMETRY_TRACE_CONTEXT_H_
#define WEFT_TELEMETRY_TRACE_CONTEXT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace weft::telemetry {

// The gRPC metadata keys (lower case, as gRPC requires).
inline constexpr char kTraceparentHeader[] = "traceparent";
inline constexpr char kTracestateHeader[] = "tracestate";

class TraceParent {
 public:
  // Accepts version 00 exactly (55 characters) and, as the spec asks, later versions by their
  // first four fields. Refuses all-zero trace or span ids, upper-case hex and version ff.
  static std::optional<TraceParent> Parse(absl::string_view header);
  // A new trace: random trace id and span id, sampled.
  static TraceParent NewRoot();

  // The same trace with a new span id: the span of whoever continues this request.
  TraceParent NewChild() const;

  std::string ToString() const;  // "00-<trace id>-<span id>-<flags>"
  std::string TraceIdHex() const;
  std::string SpanIdHex() const;
  bool sampled() const { return (flags_ & 0x01) != 0; }

 private:
  TraceParent() = default;
  std::array<uint8_t, 16> trace_id_{};
  std::array<uint8_t, 8> span_id_{};
  uint8_t flags_ = 0;
};

}  // namespace weft::telemetry

#endif  // WEFT_TELEMETRY_TRACE_CONTEXT_H_
