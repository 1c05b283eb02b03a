#include "telemetry/scoped_trace.h"

namespace weft::telemetry {
namespace {

thread_local const TraceParent* tls_trace = nullptr;
thread_local const std::string* tls_tracestate = nullptr;

}  // namespace

ScopedTrace::ScopedTrace(const TraceParent& trace, absl::string_view tracestate)
    : ScopedTrace(trace, tracestate, false) {}

ScopedTrace::ScopedTrace(const TraceParent& trace, absl::string_view tracestate, bool malformed)
    : trace_(trace),
      tracestate_(tracestate),
      malformed_(malformed),
      previous_(tls_trace),
      previous_state_(tls_tracestate) {
  log_context_.Add("trace_id", trace_.TraceIdHex());
  log_context_.Add("span_id", trace_.SpanIdHex());
  tls_trace = &trace_;
  tls_tracestate = &tracestate_;
}

ScopedTrace ScopedTrace::Continue(absl::string_view traceparent, absl::string_view tracestate) {
  std::optional<TraceParent> parent = TraceParent::Parse(traceparent);
  if (!parent) {
    // A tracestate without a valid traceparent belongs to nothing: drop it (W3C 3.3.1).
    return ScopedTrace(TraceParent::NewRoot(), "", !traceparent.empty());
  }
  return ScopedTrace(parent->NewChild(), tracestate, false);
}

ScopedTrace::~ScopedTrace() {
  tls_trace = previous_;
  tls_tracestate = previous_state_;
}

const TraceParent* CurrentTrace() { return tls_trace; }

absl::string_view CurrentTracestate() {
  return tls_tracestate == nullptr ? absl::string_view() : absl::string_view(*tls_tracestate);
}

}  // namespace weft::telemetry
