// The worker SDK's side of W3C trace context and structured logs: what traceparent a client
// call sends, the span and log fields a worker opens around each task, and the SDK's logger
// and its settings.
//
// Thread safety: free functions are thread-safe; a TaskScope belongs to the thread that made
// it (it sets that thread's current trace and log fields) and must be destroyed there.
#ifndef WEFT_WORKER_SDK_SRC_TRACE_SUPPORT_H_
#define WEFT_WORKER_SDK_SRC_TRACE_SUPPORT_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "telemetry/log.h"
#include "telemetry/scoped_trace.h"
#include "weft/api/v1/common.pb.h"

namespace weft::detail {

// The SDK's logger (component "worker").
const telemetry::Logger& SdkLogger();

// Applies the worker's log settings: `level` ("info", "debug,worker=trace", ...) and
// `format` ("json" or "text"); an empty one falls back to $WEFT_LOG_LEVEL / $WEFT_LOG_FORMAT
// and, when those are unset too, leaves the process's setting alone (JSON lines, info).
// Adds the process field identity. INVALID_ARGUMENT names a value that does not parse.
absl::Status ConfigureSdkLogging(absl::string_view level, absl::string_view format,
                                 absl::string_view identity);

// The traceparent a client call sends: the thread's current trace if any (a caller that
// already traces passes its context on), else `given` (INVALID_ARGUMENT if it is not a W3C
// traceparent), else a new root.
absl::StatusOr<std::string> OutgoingTraceparent(absl::string_view given = "");

// Adds the traceparent (and the current tracestate, if any) as gRPC metadata.
void AddTraceMetadata(grpc::ClientContext* ctx, const std::string& traceparent);
// Adds the thread's current trace as metadata; nothing outside a span.
void AddCurrentTraceMetadata(grpc::ClientContext* ctx);

// The trace id of a traceparent ("" if it does not parse).
std::string TraceIdOf(absl::string_view traceparent);

// What a worker holds while it runs one task and sends its response RPCs: a new span of the
// task's trace (a new root when the task has none) and the task's log fields.
class TaskScope {
 public:
  TaskScope(const api::v1::TraceContext& task_trace,
            std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields);
  TaskScope(const TaskScope&) = delete;
  TaskScope& operator=(const TaskScope&) = delete;

  std::string traceparent() const { return span_.trace().ToString(); }

 private:
  telemetry::ScopedTrace span_;
  telemetry::ScopedLogContext fields_;
};

}  // namespace weft::detail

#endif  // WEFT_WORKER_SDK_SRC_TRACE_SUPPORT_H_
