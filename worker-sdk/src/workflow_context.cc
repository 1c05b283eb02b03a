#include "weft/workflow_context.h"

#include <cstdio>

#include "workflow_runtime.h"

namespace weft {

namespace detail {
void RequestCancelActivity(WorkflowRuntime* runtime, const std::string& activity_id) {
  runtime->RequestCancelActivity(activity_id);
}
}  // namespace detail

void TimerFuture::Cancel() {
  if (runtime_ != nullptr && !timer_id_.empty()) runtime_->CancelTimer(timer_id_);
}

CancellationScope::CancellationScope(detail::WorkflowRuntime* runtime,
                                     std::shared_ptr<detail::ScopeState> state)
    : runtime_(runtime),
      state_(std::move(state)),
      ctx_(std::make_shared<WorkflowContext>(runtime, state_)) {}

void CancellationScope::Cancel() { runtime_->CancelScope(*state_); }

bool CancellationScope::IsCanceled() const { return state_->canceled; }

Future<void> CancellationScope::Canceled() const { return runtime_->ScopeCanceled(*state_); }

WorkflowContext::WorkflowContext(detail::WorkflowRuntime* runtime,
                                 std::shared_ptr<detail::ScopeState> scope)
    : runtime_(runtime), scope_(std::move(scope)) {}

detail::ScopeState* WorkflowContext::Scope() const {
  return scope_ != nullptr ? scope_.get() : runtime_->root_scope();
}

ActivityFuture<api::v1::Payloads> WorkflowContext::ScheduleActivity(std::string_view name,
                                                                    const ActivityOptions& options,
                                                                    api::v1::Payloads input) {
  return runtime_->ScheduleActivity(name, options, std::move(input), Scope());
}

ChildWorkflowFuture<api::v1::Payloads> WorkflowContext::StartChildWorkflowPayloads(
    std::string_view type, const ChildWorkflowOptions& options, api::v1::Payloads input) {
  return runtime_->StartChild(type, options, std::move(input), Scope());
}

Future<void> WorkflowContext::SignalExternalWorkflowPayloads(std::string_view workflow_id,
                                                             std::string_view run_id,
                                                             std::string_view signal_name,
                                                             api::v1::Payloads input) {
  return runtime_->SignalExternal(workflow_id, run_id, signal_name, std::move(input),
                                  /*child_workflow_only=*/false);
}

Future<void> WorkflowContext::RequestCancelExternalWorkflow(std::string_view workflow_id,
                                                            std::string_view run_id) {
  return runtime_->RequestCancelExternal(workflow_id, run_id);
}

TimerFuture WorkflowContext::NewTimer(std::chrono::milliseconds duration) {
  return runtime_->StartTimer(duration, Scope());
}

CancellationScope WorkflowContext::NewCancellationScope() {
  return CancellationScope(runtime_, runtime_->NewScope(Scope()));
}

CancellationScope WorkflowContext::NewDetachedCancellationScope() {
  return CancellationScope(runtime_, runtime_->NewScope(nullptr));
}

bool WorkflowContext::IsCanceled() const { return Scope()->canceled; }

api::v1::Payload WorkflowContext::MutableSideEffectPayload(
    std::string_view id, const std::function<api::v1::Payload()>& fn) {
  return runtime_->MutableSideEffect(id, fn);
}

void WorkflowContext::UpsertSearchAttributes(const SearchAttributes& attributes) {
  api::v1::Command command;
  command.set_command_type(api::v1::COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
  *command.mutable_upsert_workflow_search_attributes_command_attributes()
       ->mutable_search_attributes() = attributes.proto();
  runtime_->IssueCommand(std::move(command));
}

int WorkflowContext::GetVersion(std::string_view change_id, int min_supported, int max_supported) {
  return runtime_->GetVersion(change_id, min_supported, max_supported);
}

void WorkflowContext::SetQueryHandlerPayloads(
    std::string_view name, std::function<api::v1::Payloads(const api::v1::Payloads&)> fn) {
  runtime_->SetQueryHandler(name, std::move(fn));
}

SignalChannel& WorkflowContext::GetSignalChannel(std::string_view name) {
  return runtime_->Channel(name);
}

std::chrono::system_clock::time_point WorkflowContext::Now() const { return runtime_->now(); }

uint64_t WorkflowContext::Random() { return runtime_->Random(); }

double WorkflowContext::RandomDouble() {
  // The top 53 bits fill a double's mantissa exactly.
  return static_cast<double>(runtime_->Random() >> 11) * 0x1.0p-53;
}

std::string WorkflowContext::NewUuid() {
  uint64_t hi = runtime_->Random();
  uint64_t lo = runtime_->Random();
  hi = (hi & 0xffffffffffff0fffull) | 0x0000000000004000ull;  // version 4
  lo = (lo & 0x3fffffffffffffffull) | 0x8000000000000000ull;  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffull));
  return buf;
}

api::v1::Payload WorkflowContext::SideEffectPayload(const std::function<api::v1::Payload()>& fn) {
  return runtime_->SideEffect(fn);
}

bool WorkflowContext::IsCancelRequested() const { return runtime_->cancel_requested(); }

Future<void> WorkflowContext::CancelRequested() { return runtime_->CancelRequested(); }

const WorkflowInfo& WorkflowContext::Info() const { return runtime_->info(); }

bool WorkflowContext::IsReplaying() const { return runtime_->replaying(); }

}  // namespace weft
