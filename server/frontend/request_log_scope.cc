#include "server/frontend/request_log_scope.h"

#include <utility>

#include "server/common/ids.h"
#include "server/common/logging.h"
#include "weft/internal/persistence.pb.h"

namespace weft::frontend {
namespace {

thread_local RequestLogScope* tls_scope = nullptr;

absl::string_view Metadata(const grpc::ServerContext& ctx, absl::string_view key) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return {};
  return absl::string_view(it->second.data(), it->second.size());
}

bool UsableRequestId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

std::string RequestIdFrom(const grpc::ServerContext& ctx) {
  absl::string_view given = Metadata(ctx, kRequestIdHeader);
  return UsableRequestId(given) ? std::string(given) : NewUuid();
}

// Codes that mean the server (not the caller) has a problem: worth a warning.
bool ServerSideFailure(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal || code == absl::StatusCode::kUnavailable ||
         code == absl::StatusCode::kDataLoss || code == absl::StatusCode::kUnknown;
}

}  // namespace

RequestLogScope::RequestLogScope(grpc::ServerContext* ctx, absl::string_view method,
                                 absl::string_view ns, absl::string_view target_field,
                                 absl::string_view target)
    : request_id_(RequestIdFrom(*ctx)),
      trace_(telemetry::ScopedTrace::Continue(Metadata(*ctx, telemetry::kTraceparentHeader),
                                              Metadata(*ctx, telemetry::kTracestateHeader))),
      method_(method),
      previous_(tls_scope) {
  context_.Add("method", method);
  context_.Add("namespace", ns);
  context_.Add("request_id", request_id_);
  if (!target_field.empty()) context_.Add(target_field, target);
  tls_scope = this;
  ctx->AddInitialMetadata(kRequestIdHeader, request_id_);
  ctx->AddInitialMetadata(telemetry::kTraceparentHeader, trace_.trace().ToString());
  if (trace_.malformed()) {
    // Not an error (W3C: start a new trace); the value itself is the caller's, so only its
    // length is logged.
    logs::Frontend().Debug(
        "malformed traceparent ignored; started a new trace",
        {{"traceparent_length", Metadata(*ctx, telemetry::kTraceparentHeader).size()}});
  }
}

RequestLogScope::~RequestLogScope() { tls_scope = previous_; }

void RequestLogScope::Finish(const absl::Status& status, double seconds) {
  telemetry::Logger& log = logs::Frontend();
  bool warn = ServerSideFailure(status.code());
  telemetry::LogLevel level = warn ? telemetry::LogLevel::kWarn : telemetry::LogLevel::kDebug;
  if (!log.Enabled(level)) return;
  std::string code = absl::StatusCodeToString(status.code());
  double ms = static_cast<double>(static_cast<int64_t>(seconds * 1e6)) / 1e3;
  if (status.ok()) {
    log.Log(level, "rpc completed", {{"code", code}, {"duration_ms", ms}});
  } else {
    log.Log(level, "rpc failed",
            {{"code", code}, {"duration_ms", ms}, {"error", status.message()}});
  }
}

void RequestLogScope::Note(absl::string_view key, absl::string_view value) {
  if (tls_scope != nullptr) tls_scope->context_.Add(key, value);
}

absl::string_view TargetLogField(absl::string_view method) {
  static constexpr std::pair<absl::string_view, absl::string_view> kFields[] = {
      {"StartWorkflowExecution", "workflow_id"},
      {"SignalWithStartWorkflowExecution", "workflow_id"},
      {"GetWorkflowExecutionHistory", "workflow_id"},
      {"DescribeWorkflowExecution", "workflow_id"},
      {"SignalWorkflowExecution", "workflow_id"},
      {"RequestCancelWorkflowExecution", "workflow_id"},
      {"TerminateWorkflowExecution", "workflow_id"},
      {"ResetWorkflowExecution", "workflow_id"},
      {"QueryWorkflow", "workflow_id"},
      {"ResetStickyTaskQueue", "workflow_id"},
      {"PollWorkflowTaskQueue", "task_queue"},
      {"PollActivityTaskQueue", "task_queue"},
      {"DescribeTaskQueue", "task_queue"},
      {"DescribeSchedule", "schedule_id"},
      {"PatchSchedule", "schedule_id"},
      {"DeleteSchedule", "schedule_id"},
      {"CreateSchedule", "schedule_id"},
      {"UpdateSchedule", "schedule_id"},
      {"DescribeCircuitBreaker", "activity_type"},
  };
  for (const auto& [m, field] : kFields) {
    if (m == method) return field;
  }
  return {};
}

void NoteExecution(const api::v1::WorkflowExecution& execution) {
  RequestLogScope::Note("workflow_id", execution.workflow_id());
  RequestLogScope::Note("run_id", execution.run_id());
}

void NoteTaskToken(const std::string& task_token) {
  if (tls_scope == nullptr || task_token.empty()) return;
  internal::TaskToken token;
  if (!token.ParseFromString(task_token)) return;
  RequestLogScope::Note("workflow_id", token.workflow_id());
  RequestLogScope::Note("run_id", token.run_id());
}

}  // namespace weft::frontend
