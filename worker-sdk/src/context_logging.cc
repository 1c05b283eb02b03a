// Trace and logger accessors of WorkflowContext and ActivityContext (weft/logger.h).
#include "trace_support.h"
#include "weft/activity.h"
#include "weft/workflow_context.h"
#include "workflow_runtime.h"

namespace weft {

std::string WorkflowContext::traceparent() const {
  const telemetry::TraceParent* current = telemetry::CurrentTrace();
  return current == nullptr ? "" : current->ToString();
}

std::string WorkflowContext::trace_id() const {
  const telemetry::TraceParent* current = telemetry::CurrentTrace();
  return current == nullptr ? "" : current->TraceIdHex();
}

TaskLogger WorkflowContext::logger() const {
  // The runtime outlives the workflow code that holds this context.
  detail::WorkflowRuntime* runtime = runtime_;
  return TaskLogger(detail::SdkLogger(), [runtime] { return runtime->replaying(); });
}

std::string ActivityContext::trace_id() const { return detail::TraceIdOf(info_.traceparent); }

TaskLogger ActivityContext::logger() const { return TaskLogger(detail::SdkLogger()); }

}  // namespace weft
