#include "trace_support.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace weft::detail {
namespace {

std::string EnvOr(const char* name, absl::string_view value) {
  if (!value.empty()) return std::string(value);
  const char* env = std::getenv(name);
  return env == nullptr ? "" : env;
}

}  // namespace

const telemetry::Logger& SdkLogger() {
  static telemetry::Logger logger("worker");
  return logger;
}

absl::Status ConfigureSdkLogging(absl::string_view level, absl::string_view format,
                                 absl::string_view identity) {
  std::string lvl = EnvOr("WEFT_LOG_LEVEL", level);
  std::string fmt = absl::AsciiStrToLower(EnvOr("WEFT_LOG_FORMAT", format));
  if (!fmt.empty() && fmt != "json" && fmt != "text") {
    return absl::InvalidArgumentError(
        absl::StrCat("log format \"", fmt, "\" is not json or text (WorkerOptions::log_format ",
                     "or WEFT_LOG_FORMAT)"));
  }
  if (!lvl.empty() && !telemetry::LogRegistry::Configure(lvl)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "log level \"", lvl,
        "\" does not parse: use trace, debug, info, warn, error or off, optionally followed by ",
        "component=level pairs (\"info,worker=debug\"); WorkerOptions::log_level or "
        "WEFT_LOG_LEVEL"));
  }
  if (!fmt.empty()) {
    telemetry::LogRegistry::SetFormat(fmt == "text" ? telemetry::LogFormat::kText
                                                    : telemetry::LogFormat::kJson);
  }
  if (!identity.empty()) telemetry::LogRegistry::SetProcessField("identity", identity);
  return absl::OkStatus();
}

absl::StatusOr<std::string> OutgoingTraceparent(absl::string_view given) {
  if (const telemetry::TraceParent* current = telemetry::CurrentTrace()) {
    return current->ToString();
  }
  if (!given.empty()) {
    auto parsed = telemetry::TraceParent::Parse(given);
    if (!parsed) {
      return absl::InvalidArgumentError(absl::StrCat(
          "traceparent \"", given,
          "\" is not a W3C traceparent: expected 00-<32 lower-case hex trace id>-<16 hex span "
          "id>-<2 hex flags>, ids not all zero"));
    }
    return parsed->ToString();
  }
  return telemetry::TraceParent::NewRoot().ToString();
}

void AddTraceMetadata(grpc::ClientContext* ctx, const std::string& traceparent) {
  if (traceparent.empty()) return;
  ctx->AddMetadata(telemetry::kTraceparentHeader, traceparent);
  absl::string_view state = telemetry::CurrentTracestate();
  if (!state.empty()) ctx->AddMetadata(telemetry::kTracestateHeader, std::string(state));
}

void AddCurrentTraceMetadata(grpc::ClientContext* ctx) {
  if (const telemetry::TraceParent* current = telemetry::CurrentTrace()) {
    AddTraceMetadata(ctx, current->ToString());
  }
}

std::string TraceIdOf(absl::string_view traceparent) {
  auto parsed = telemetry::TraceParent::Parse(traceparent);
  return parsed ? parsed->TraceIdHex() : "";
}

TaskScope::TaskScope(const api::v1::TraceContext& task_trace,
                     std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields)
    : span_(telemetry::ScopedTrace::Continue(task_trace.traceparent(), task_trace.tracestate())),
      fields_(fields) {}

}  // namespace weft::detail
