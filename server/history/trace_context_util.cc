#include "server/history/trace_context_util.h"

#include <string>

namespace weft::history {

api::v1::TraceContext CurrentTraceContext() {
  api::v1::TraceContext tc;
  const telemetry::TraceParent* trace = telemetry::CurrentTrace();
  if (trace == nullptr) return tc;
  tc.set_traceparent(trace->ToString());
  absl::string_view state = telemetry::CurrentTracestate();
  if (!state.empty()) tc.set_tracestate(std::string(state));
  return tc;
}

void StampTrace(api::v1::HistoryEvent* event) {
  if (telemetry::CurrentTrace() == nullptr) return;
  *event->mutable_trace_context() = CurrentTraceContext();
}

void ContinueStoredTrace(const api::v1::TraceContext& tc,
                         std::optional<telemetry::ScopedTrace>& scope) {
  if (tc.traceparent().empty()) return;
  auto parent = telemetry::TraceParent::Parse(tc.traceparent());
  if (!parent) return;
  scope.emplace(parent->NewChild(), tc.tracestate());
}

}  // namespace weft::history
