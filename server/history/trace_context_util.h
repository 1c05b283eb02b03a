// Glue between the thread's current trace (telemetry/scoped_trace.h) and the trace context
// kept in history: events that start work carry the span of the request that caused them,
// and work done later on a queue thread continues from that stored context.
//
//   StampTrace(tr.Append(EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED));   // in an RPC's call chain
//   std::optional<telemetry::ScopedTrace> span;
//   ContinueStoredTrace(initiated_event.trace_context(), span);      // on a queue thread
//
// Thread safety: free functions over the calling thread's current trace. Ownership: the
// caller owns the optional ScopedTrace, which must be destroyed on the thread that opened it.
#ifndef WEFT_SERVER_HISTORY_TRACE_CONTEXT_UTIL_H_
#define WEFT_SERVER_HISTORY_TRACE_CONTEXT_UTIL_H_

#include <optional>

#include "telemetry/scoped_trace.h"
#include "weft/api/v1/common.pb.h"
#include "weft/api/v1/history.pb.h"

namespace weft::history {

// The current thread's trace as stored in history; empty outside any ScopedTrace.
api::v1::TraceContext CurrentTraceContext();

// Sets the event's trace context to the current thread's trace (leaves it empty when the
// thread has none, e.g. an engine called directly by a unit test).
void StampTrace(api::v1::HistoryEvent* event);

// Opens in `scope` a new span of the stored trace `tc`, so that what this thread writes next
// (events, log lines) belongs to it. Does nothing when `tc` is empty or does not parse.
void ContinueStoredTrace(const api::v1::TraceContext& tc,
                         std::optional<telemetry::ScopedTrace>& scope);

}  // namespace weft::history

#endif  // WEFT_SERVER_HISTORY_TRACE_CONTEXT_UTIL_H_
