// RequestLogScope: the log and trace context of one RPC, opened by the handlers' Handle()
// before the access-control chain runs and closed when the call returns.
//
//   RequestLogScope scope(ctx, "StartWorkflowExecution", ns, "workflow_id", req->workflow_id());
//   absl::Status s = ...;  // every log line of this thread now carries the context
//   scope.Finish(s, seconds);
//
// On construction it
//  - continues the caller's W3C trace from the `traceparent`/`tracestate` metadata as a new
//    server span (a new root when they are missing or malformed: W3C says start a new trace;
//    a malformed one is logged at debug), made the thread's current trace (scoped_trace.h),
//    which the history service reads when it writes events;
//  - takes the caller's `x-request-id` (at most 128 printable ASCII characters, else a new
//    one is made) or makes one;
//  - adds method, namespace, request_id and the call's target (workflow_id, task_queue,
//    schedule_id ...) to every log line of the thread;
//  - sends `x-request-id` and the server span's `traceparent` back as initial metadata.
// Finish() writes the RPC line: debug for every call (method, code, duration_ms), warn for
// INTERNAL, UNAVAILABLE, DATA_LOSS and UNKNOWN. Payloads and credentials are never logged.
//
// Thread safety: a scope belongs to the thread that made it (gRPC's synchronous handlers run
// a call on one thread) and must be destroyed there, in reverse order of creation; not
// movable. Ownership: borrows the ServerContext, which outlives the call.
#ifndef WEFT_SERVER_FRONTEND_REQUEST_LOG_SCOPE_H_
#define WEFT_SERVER_FRONTEND_REQUEST_LOG_SCOPE_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "telemetry/log.h"
#include "telemetry/scoped_trace.h"
#include "weft/api/v1/common.pb.h"

namespace weft::frontend {

// Metadata key of the request id, in both directions.
inline constexpr char kRequestIdHeader[] = "x-request-id";
// Longer or non-printable request ids from clients are replaced by a new one.
inline constexpr size_t kMaxRequestIdLength = 128;

class RequestLogScope {
 public:
  // `target_field` names what `target` is ("workflow_id", "task_queue" ...); an empty field
  // or target adds nothing.
  RequestLogScope(grpc::ServerContext* ctx, absl::string_view method, absl::string_view ns,
                  absl::string_view target_field, absl::string_view target);
  ~RequestLogScope();
  RequestLogScope(const RequestLogScope&) = delete;
  RequestLogScope& operator=(const RequestLogScope&) = delete;

  // Writes the RPC's line (see above).
  void Finish(const absl::Status& status, double seconds);

  const std::string& request_id() const { return request_id_; }
  const telemetry::TraceParent& trace() const { return trace_.trace(); }

  // Adds a field (e.g. the run id learned halfway through) to the current thread's RPC
  // context; nothing outside an RPC. Call it from the handler's own frame, not from inside a
  // nested ScopedLogContext, which would drop the field when it closes.
  static void Note(absl::string_view key, absl::string_view value);

 private:
  std::string request_id_;
  telemetry::ScopedTrace trace_;
  telemetry::ScopedLogContext context_;
  std::string method_;
  RequestLogScope* previous_;
};

// The log field a method's audit target is, or "" when it is not worth a field.
absl::string_view TargetLogField(absl::string_view method);

// Notes the workflow and run a request names (RequestLogScope::Note).
void NoteExecution(const api::v1::WorkflowExecution& execution);
// Notes the workflow and run a task token names; a token that does not parse adds nothing
// (the handler reports it).
void NoteTaskToken(const std::string& task_token);

}  // namespace weft::frontend

#endif  // WEFT_SERVER_FRONTEND_REQUEST_LOG_SCOPE_H_
