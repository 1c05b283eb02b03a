// The trace context of the work the current thread is doing, the way OpenTelemetry keeps its
// current context: the frontend sets it for each RPC from the `traceparent` metadata, the
// history service reads it when it writes an event that starts work, the worker SDK sets it
// for each task it runs. While a ScopedTrace lives, every log line of the thread carries
// trace_id and span_id.
//
// Crossing a process boundary is explicit: a client stub writes CurrentTrace() as metadata
// and the receiving handler opens a ScopedTrace from it. Work handed to another thread
// (queues, timers) carries the context in its stored record, not in this thread-local.
//
// Thread safety: the current trace is per thread. A ScopedTrace must be destroyed on the
// thread that made it, in reverse order of creation; it is not movable.
#ifndef WEFT_TELEMETRY_SCOPED_TRACE_H_
#define WEFT_TELEMETRY_SCOPED_TRACE_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "telemetry/log.h"
#include "telemetry/trace_context.h"

namespace weft::telemetry {

class ScopedTrace {
 public:
  // Makes `trace` the thread's current trace until destruction.
  ScopedTrace(const TraceParent& trace, absl::string_view tracestate = "");
  // Continues the caller's trace from its headers: a new span of the trace in `traceparent`,
  // or a new root when it is empty or malformed (`malformed()` tells which, for a log line).
  static ScopedTrace Continue(absl::string_view traceparent, absl::string_view tracestate);
  ~ScopedTrace();
  ScopedTrace(const ScopedTrace&) = delete;
  ScopedTrace& operator=(const ScopedTrace&) = delete;

  const TraceParent& trace() const { return trace_; }
  bool malformed() const { return malformed_; }

 private:
  ScopedTrace(const TraceParent& trace, absl::string_view tracestate, bool malformed);

  TraceParent trace_;
  std::string tracestate_;
  bool malformed_ = false;
  const TraceParent* previous_;
  const std::string* previous_state_;
  ScopedLogContext log_context_;
};

// The current thread's trace, or nullptr outside any ScopedTrace.
const TraceParent* CurrentTrace();
// The tracestate that goes with CurrentTrace() ("" when none).
absl::string_view CurrentTracestate();

}  // namespace weft::telemetry

#endif  // WEFT_TELEMETRY_SCOPED_TRACE_H_
