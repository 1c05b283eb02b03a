// Child workflows, SignalExternalWorkflowExecution and RequestCancelExternalWorkflowExecution,
// and what a run's close means for its parent and its children. Part of HistoryEngine; see
// history_engine.h.
//
// A command becomes its *Initiated event, a pending entry in mutable state (children,
// pending_signals, pending_cancels) and a transfer task, all in the workflow task's batch.
// The transfer task then acts on the other workflow and records the outcome in the initiating
// run. It holds one execution lock at a time (never two, so parent and child cannot
// deadlock), and it may run twice (a crash after its effect, before its ack), so every step is
// idempotent:
//   - a child is started with request id "<parent run id>/child/<initiated event id>": a
//     repeated start finds that request on the child's current-run record and returns its run;
//   - a signal carries request id "<run id>/signal/<initiated event id>", which the target
//     deduplicates like a client's signal request id;
//   - a cancel request to a run that was already asked to cancel is a no-op;
//   - an outcome is recorded only while the initiating run still has the pending entry.
// A closing run writes a CLOSE_EXECUTION task in its closing batch: it reports the outcome to
// the parent (unless the run continued as new: the chain's last run reports) and applies the
// parent-close policy (TERMINATE by default, REQUEST_CANCEL, ABANDON) to its open children.
//
// Namespaces: a child or target in another namespace is resolved through the resolver that
// server/app injects (SetNamespaceResolver); an unknown name records *Failed with cause
// NAMESPACE_NOT_FOUND.
#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/common/proto_time.h"
#include "server/history/history_engine.h"
#include "server/history/trace_context_util.h"

namespace weft::history {

using api::v1::Command;

namespace {

// Whether an external request's target is a started child of `ms` (child_workflow_only).
bool TargetIsStartedChild(const internal::MutableState& ms,
                          const internal::ExternalRequestInfo& info) {
  for (const auto& [id, ci] : ms.children()) {
    if (ci.workflow_id() == info.workflow_id() && ci.namespace_() == info.namespace_() &&
        !ci.run_id().empty() && (info.run_id().empty() || info.run_id() == ci.run_id())) {
      return true;
    }
  }
  return false;
}

constexpr size_t kMaxIdLength = 1000;
// DESIGN.md section 11 (Temporal's defaults).
constexpr int kMaxPendingChildren = 2000;
constexpr int kMaxPendingSignals = 2000;
constexpr int kMaxPendingCancels = 2000;
constexpr int kMaxSignalRequestIds = 100;  // as for client signals (history_engine.cc)
constexpr const char* kServerIdentity = "weft-server";

bool IsRunning(const internal::MutableState& ms) {
  return ms.status() == api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING;
}

bool SameNamespace(const internal::MutableState& ms, const std::string& ns) {
  return ns.empty() || ns == ms.namespace_name();
}

std::string ValidateRetryPolicy(const api::v1::RetryPolicy& rp) {
  if (rp.maximum_attempts() < 0) return "retry_policy.maximum_attempts must be >= 0";
  if (rp.backoff_coefficient() != 0 && rp.backoff_coefficient() < 1) {
    return "retry_policy.backoff_coefficient must be >= 1";
  }
  return "";
}

api::v1::WorkflowExecution Execution(const std::string& workflow_id, const std::string& run_id) {
  api::v1::WorkflowExecution e;
  e.set_workflow_id(workflow_id);
  e.set_run_id(run_id);
  return e;
}

}  // namespace

void HistoryEngine::SetNamespaceResolver(NamespaceResolver resolver) {
  std::lock_guard<std::mutex> lock(resolver_mu_);
  resolver_ = std::move(resolver);
}

absl::StatusOr<NamespaceRef> HistoryEngine::ResolveNamespace(const internal::MutableState& ms,
                                                             const std::string& name) {
  if (SameNamespace(ms, name)) return NamespaceRef{ms.namespace_id(), ms.namespace_name()};
  NamespaceResolver resolver;
  {
    std::lock_guard<std::mutex> lock(resolver_mu_);
    resolver = resolver_;
  }
  if (!resolver) {
    // Start-up: the registry is not wired yet. UNAVAILABLE retries the task.
    return absl::UnavailableError("namespace resolver not ready");
  }
  return resolver(name);
}

// ---- commands ----

std::string HistoryEngine::ValidateExternalCommand(
    const internal::MutableState& ms, const google::protobuf::RepeatedPtrField<Command>& cmds,
    int i) {
  const Command& c = cmds[i];
  int earlier = 0;  // commands of the same type earlier in this answer
  for (int j = 0; j < i; ++j) earlier += cmds[j].command_type() == c.command_type();
  switch (c.command_type()) {
    case api::v1::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
      if (!c.has_start_child_workflow_execution_command_attributes()) return "attributes missing";
      const auto& a = c.start_child_workflow_execution_command_attributes();
      if (a.workflow_id().empty() || a.workflow_id().size() > kMaxIdLength) {
        return "workflow_id must be 1 to 1000 bytes";
      }
      if (a.workflow_type().name().empty() || a.workflow_type().name().size() > kMaxIdLength) {
        return "workflow_type.name must be 1 to 1000 bytes";
      }
      if (a.task_queue().name().size() > kMaxIdLength || a.namespace_().size() > kMaxIdLength) {
        return "task_queue and namespace names are limited to 1000 bytes";
      }
      for (const auto* d : {&a.workflow_execution_timeout(), &a.workflow_run_timeout(),
                            &a.workflow_task_timeout()}) {
        if (FromProto(*d) < absl::ZeroDuration()) return "timeouts must not be negative";
      }
      if (std::string why = ValidateRetryPolicy(a.retry_policy()); !why.empty()) return why;
      if (!api::v1::ParentClosePolicy_IsValid(a.parent_close_policy())) {
        return absl::StrCat("parent_close_policy ", a.parent_close_policy(), " is not known");
      }
      if (!api::v1::WorkflowIdReusePolicy_IsValid(a.workflow_id_reuse_policy())) {
        return absl::StrCat("workflow_id_reuse_policy ", a.workflow_id_reuse_policy(),
                            " is not known");
      }
      bool same_ns = SameNamespace(ms, a.namespace_());
      if (same_ns && a.workflow_id() == ms.workflow_id()) {
        return absl::StrCat("workflow_id \"", a.workflow_id(),
                            "\" is the parent's own id: give the child another id");
      }
      auto clash = [&](const std::string& ns, const std::string& wf) {
        return wf == a.workflow_id() && (ns.empty() ? ms.namespace_name() : ns) ==
                                            (same_ns ? ms.namespace_name() : a.namespace_());
      };
      for (const auto& [id, child] : ms.children()) {
        if (clash(child.namespace_(), child.workflow_id())) {
          return absl::StrCat("workflow_id \"", a.workflow_id(),
                              "\" is already used by a pending child of this run");
        }
      }
      for (int j = 0; j < i; ++j) {
        if (cmds[j].command_type() != c.command_type()) continue;
        const auto& o = cmds[j].start_child_workflow_execution_command_attributes();
        if (clash(o.namespace_(), o.workflow_id())) {
          return absl::StrCat("workflow_id \"", a.workflow_id(),
                              "\" is used by another child started in this workflow task");
        }
      }
      if (ms.children_size() + earlier >= kMaxPendingChildren) {
        return absl::StrCat("too many pending child workflows: at most ", kMaxPendingChildren,
                            " per run; wait for some to finish, or continue as new");
      }
      return "";
    }
    case api::v1::COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: {
      if (!c.has_signal_external_workflow_execution_command_attributes()) {
        return "attributes missing";
      }
      const auto& a = c.signal_external_workflow_execution_command_attributes();
      if (a.execution().workflow_id().empty() ||
          a.execution().workflow_id().size() > kMaxIdLength) {
        return "execution.workflow_id must be 1 to 1000 bytes";
      }
      if (a.signal_name().empty() || a.signal_name().size() > kMaxIdLength) {
        return "signal_name must be 1 to 1000 bytes";
      }
      if (a.namespace_().size() > kMaxIdLength || a.execution().run_id().size() > kMaxIdLength) {
        return "namespace and run_id are limited to 1000 bytes";
      }
      if (ms.pending_signals_size() + earlier >= kMaxPendingSignals) {
        return absl::StrCat("too many pending external signals: at most ", kMaxPendingSignals,
                            " per run; wait for some to be delivered");
      }
      return "";
    }
    case api::v1::COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: {
      if (!c.has_request_cancel_external_workflow_execution_command_attributes()) {
        return "attributes missing";
      }
      const auto& a = c.request_cancel_external_workflow_execution_command_attributes();
      if (a.workflow_id().empty() || a.workflow_id().size() > kMaxIdLength) {
        return "workflow_id must be 1 to 1000 bytes";
      }
      if (a.namespace_().size() > kMaxIdLength || a.run_id().size() > kMaxIdLength) {
        return "namespace and run_id are limited to 1000 bytes";
      }
      if (ms.pending_cancels_size() + earlier >= kMaxPendingCancels) {
        return absl::StrCat("too many pending external cancel requests: at most ",
                            kMaxPendingCancels, " per run; wait for some to be delivered");
      }
      return "";
    }
    default:
      return "not a command to another workflow";
  }
}

void HistoryEngine::ApplyExternalCommand(Transition& tr, const Command& c, int64_t completed_id) {
  internal::MutableState& ms = tr.ms();
  auto target_ns_id = [&](const std::string& ns) {
    return SameNamespace(ms, ns) ? ms.namespace_id() : std::string();  // resolved by the task
  };
  switch (c.command_type()) {
    case api::v1::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
      const auto& a = c.start_child_workflow_execution_command_attributes();
      std::string ns = a.namespace_().empty() ? ms.namespace_name() : a.namespace_();
      auto policy = a.parent_close_policy() == api::v1::PARENT_CLOSE_POLICY_UNSPECIFIED
                        ? api::v1::PARENT_CLOSE_POLICY_TERMINATE
                        : a.parent_close_policy();
      auto* e = tr.Append(api::v1::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED);
      auto* ea = e->mutable_start_child_workflow_execution_initiated_event_attributes();
      ea->set_namespace_(ns);
      ea->set_workflow_id(a.workflow_id());
      *ea->mutable_workflow_type() = a.workflow_type();
      ea->mutable_task_queue()->set_name(a.task_queue().name().empty() ? ms.task_queue()
                                                                       : a.task_queue().name());
      *ea->mutable_input() = a.input();
      *ea->mutable_workflow_execution_timeout() = a.workflow_execution_timeout();
      *ea->mutable_workflow_run_timeout() = a.workflow_run_timeout();
      *ea->mutable_workflow_task_timeout() = a.workflow_task_timeout();
      ea->set_parent_close_policy(policy);
      ea->set_workflow_task_completed_event_id(completed_id);
      ea->set_workflow_id_reuse_policy(a.workflow_id_reuse_policy());
      *ea->mutable_retry_policy() = a.retry_policy();
      *ea->mutable_memo() = a.memo();
      *ea->mutable_search_attributes() = a.search_attributes();
      ea->set_control(a.control());
      StampTrace(e);

      internal::ChildExecutionInfo& ci = (*ms.mutable_children())[e->event_id()];
      ci.set_initiated_event_id(e->event_id());
      ci.set_namespace_(ns);
      ci.set_namespace_id(target_ns_id(ns));
      ci.set_workflow_id(a.workflow_id());
      *ci.mutable_workflow_type() = a.workflow_type();
      ci.set_parent_close_policy(policy);
      ci.set_create_request_id(absl::StrCat(ms.run_id(), "/child/", e->event_id()));
      internal::TransferTask t;
      t.set_type(internal::TRANSFER_TASK_TYPE_START_CHILD_EXECUTION);
      t.set_scheduled_event_id(e->event_id());
      t.set_target_namespace_id(ci.namespace_id());
      t.set_target_workflow_id(a.workflow_id());
      tr.AddTransferTask(std::move(t));
      break;
    }
    case api::v1::COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: {
      const auto& a = c.signal_external_workflow_execution_command_attributes();
      std::string ns = a.namespace_().empty() ? ms.namespace_name() : a.namespace_();
      auto* e = tr.Append(api::v1::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED);
      auto* ea = e->mutable_signal_external_workflow_execution_initiated_event_attributes();
      ea->set_workflow_task_completed_event_id(completed_id);
      ea->set_namespace_(ns);
      *ea->mutable_workflow_execution() = a.execution();
      ea->set_signal_name(a.signal_name());
      *ea->mutable_input() = a.input();
      ea->set_control(a.control());
      ea->set_child_workflow_only(a.child_workflow_only());
      StampTrace(e);

      internal::ExternalRequestInfo& info = (*ms.mutable_pending_signals())[e->event_id()];
      info.set_initiated_event_id(e->event_id());
      info.set_namespace_(ns);
      info.set_namespace_id(target_ns_id(ns));
      info.set_workflow_id(a.execution().workflow_id());
      info.set_run_id(a.execution().run_id());
      info.set_request_id(absl::StrCat(ms.run_id(), "/signal/", e->event_id()));
      info.set_child_workflow_only(a.child_workflow_only());
      internal::TransferTask t;
      t.set_type(internal::TRANSFER_TASK_TYPE_SIGNAL_EXECUTION);
      t.set_scheduled_event_id(e->event_id());
      t.set_target_namespace_id(info.namespace_id());
      t.set_target_workflow_id(info.workflow_id());
      t.set_target_run_id(info.run_id());
      t.set_target_child_workflow_only(a.child_workflow_only());
      tr.AddTransferTask(std::move(t));
      break;
    }
    case api::v1::COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: {
      const auto& a = c.request_cancel_external_workflow_execution_command_attributes();
      std::string ns = a.namespace_().empty() ? ms.namespace_name() : a.namespace_();
      auto* e = tr.Append(api::v1::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED);
      auto* ea = e->mutable_request_cancel_external_workflow_execution_initiated_event_attributes();
      ea->set_workflow_task_completed_event_id(completed_id);
      ea->set_namespace_(ns);
      *ea->mutable_workflow_execution() = Execution(a.workflow_id(), a.run_id());
      ea->set_control(a.control());
      ea->set_child_workflow_only(a.child_workflow_only());
      ea->set_reason(a.reason());
      StampTrace(e);

      internal::ExternalRequestInfo& info = (*ms.mutable_pending_cancels())[e->event_id()];
      info.set_initiated_event_id(e->event_id());
      info.set_namespace_(ns);
      info.set_namespace_id(target_ns_id(ns));
      info.set_workflow_id(a.workflow_id());
      info.set_run_id(a.run_id());
      info.set_request_id(absl::StrCat(ms.run_id(), "/cancel/", e->event_id()));
      info.set_child_workflow_only(a.child_workflow_only());
      internal::TransferTask t;
      t.set_type(internal::TRANSFER_TASK_TYPE_CANCEL_EXECUTION);
      t.set_scheduled_event_id(e->event_id());
      t.set_target_namespace_id(info.namespace_id());
      t.set_target_workflow_id(info.workflow_id());
      t.set_target_run_id(info.run_id());
      t.set_target_child_workflow_only(a.child_workflow_only());
      tr.AddTransferTask(std::move(t));
      break;
    }
    default:
      break;
  }
}

void HistoryEngine::AddCloseExecutionTask(Transition& tr) {
  const internal::MutableState& ms = tr.ms();
  bool report = !ms.parent_workflow_id().empty() &&
                ms.status() != api::v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW;
  if (!report && ms.children().empty()) return;
  internal::TransferTask t;
  t.set_type(internal::TRANSFER_TASK_TYPE_CLOSE_EXECUTION);
  tr.AddTransferTask(std::move(t));
}

void HistoryEngine::DescribeChildren(const internal::MutableState& ms,
                                     api::v1::DescribeWorkflowExecutionResponse* resp) {
  auto* info = resp->mutable_workflow_execution_info();
  if (!ms.parent_workflow_id().empty()) {
    info->set_parent_namespace(ms.parent_namespace());
    *info->mutable_parent_execution() = Execution(ms.parent_workflow_id(), ms.parent_run_id());
  }
  if (!IsRunning(ms)) return;  // a closed run's children are no longer its business
  std::vector<const internal::ChildExecutionInfo*> children;
  for (const auto& [id, ci] : ms.children()) children.push_back(&ci);
  std::sort(children.begin(), children.end(),
            [](auto* a, auto* b) { return a->initiated_event_id() < b->initiated_event_id(); });
  for (const auto* ci : children) {
    auto* p = resp->add_pending_children();
    p->set_workflow_id(ci->workflow_id());
    p->set_run_id(ci->run_id());
    p->set_workflow_type_name(ci->workflow_type().name());
    p->set_initiated_id(ci->initiated_event_id());
    p->set_parent_close_policy(ci->parent_close_policy());
    p->set_namespace_(ci->namespace_());
  }
}

// ---- transfer tasks ----

absl::Status HistoryEngine::HandleExternalTransferTask(const internal::TransferTask& t) {
  switch (t.type()) {
    case internal::TRANSFER_TASK_TYPE_START_CHILD_EXECUTION:
      return StartChildTask(t);
    case internal::TRANSFER_TASK_TYPE_SIGNAL_EXECUTION:
      return SignalExternalTask(t);
    case internal::TRANSFER_TASK_TYPE_CANCEL_EXECUTION:
      return CancelExternalTask(t);
    case internal::TRANSFER_TASK_TYPE_CLOSE_EXECUTION:
      return CloseExecutionTask(t);
    default:
      return absl::OkStatus();
  }
}

absl::Status HistoryEngine::StartChildTask(const internal::TransferTask& t) {
  const int64_t initiated_id = t.scheduled_event_id();
  // 1. What to start: the parent's pending child and its initiated event.
  internal::ChildExecutionInfo child;
  api::v1::StartChildWorkflowExecutionInitiatedEventAttributes init;
  ParentRef parent;
  internal::MutableState parent_copy;          // for namespace resolution
  std::optional<telemetry::ScopedTrace> span;  // the child's start continues the initiator's
  {
    auto l = LockRun(t.namespace_id(), t.workflow_id(), t.run_id(), t.namespace_name());
    if (absl::IsNotFound(l.status())) return absl::OkStatus();
    if (!l.ok()) return l.status();
    const internal::MutableState& ms = l->entry->state;
    if (!IsRunning(ms)) return absl::OkStatus();  // closed before its child started
    auto it = ms.children().find(initiated_id);
    if (it == ms.children().end() || !it->second.run_id().empty()) {
      return absl::OkStatus();  // started (or failed) already: a repeated task
    }
    child = it->second;
    auto events = ReadHistory(*l->shard, ms, initiated_id, initiated_id);
    if (!events.ok()) return events.status();
    if (events->empty() ||
        !events->front().has_start_child_workflow_execution_initiated_event_attributes()) {
      return absl::DataLossError(
          absl::StrCat("event ", initiated_id, " of ", ms.workflow_id(), "/", ms.run_id(),
                       " is not a StartChildWorkflowExecutionInitiated event"));
    }
    init = events->front().start_child_workflow_execution_initiated_event_attributes();
    ContinueStoredTrace(events->front().trace_context(), span);
    parent = ParentRef{ms.namespace_id(), ms.namespace_name(), ms.workflow_id(),
                       ms.run_id(),       initiated_id,        child.parent_close_policy()};
    parent_copy.set_namespace_id(ms.namespace_id());
    parent_copy.set_namespace_name(ms.namespace_name());
  }

  // 2. Start it (its own transition, on its own shard).
  auto failed_cause = api::v1::START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED;
  absl::StatusOr<api::v1::StartWorkflowExecutionResponse> started =
      absl::UnknownError("not started");
  auto ns = ResolveNamespace(parent_copy, child.namespace_());
  if (absl::IsNotFound(ns.status())) {
    failed_cause = api::v1::START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND;
  } else if (!ns.ok()) {
    return ns.status();
  } else {
    api::v1::StartWorkflowExecutionRequest req;
    req.set_namespace_(ns->name);
    req.set_workflow_id(init.workflow_id());
    *req.mutable_workflow_type() = init.workflow_type();
    *req.mutable_task_queue() = init.task_queue();
    *req.mutable_input() = init.input();
    *req.mutable_workflow_execution_timeout() = init.workflow_execution_timeout();
    *req.mutable_workflow_run_timeout() = init.workflow_run_timeout();
    *req.mutable_workflow_task_timeout() = init.workflow_task_timeout();
    req.set_identity(absl::StrCat(kServerIdentity, " (parent ", parent.workflow_id, ")"));
    req.set_request_id(child.create_request_id());
    req.set_workflow_id_reuse_policy(init.workflow_id_reuse_policy());
    *req.mutable_retry_policy() = init.retry_policy();
    *req.mutable_memo() = init.memo();
    *req.mutable_search_attributes() = init.search_attributes();
    req.set_priority(t.priority());  // the parent's: a child inherits its priority
    started = StartWorkflow(*ns, req, nullptr, &parent);
    if (absl::IsAlreadyExists(started.status())) {
      failed_cause = api::v1::START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS;
    } else if (!started.ok()) {
      return started.status();
    }
  }

  // 3. Record the outcome in the parent.
  auto l = LockRun(t.namespace_id(), t.workflow_id(), t.run_id(), t.namespace_name());
  if (absl::IsNotFound(l.status())) return absl::OkStatus();
  if (!l.ok()) return l.status();
  internal::MutableState ms = l->entry->state;
  auto it = ms.mutable_children()->find(initiated_id);
  if (it == ms.mutable_children()->end() || !it->second.run_id().empty()) {
    return absl::OkStatus();
  }
  if (!IsRunning(ms)) {
    // The parent closed while its child was being started: its close task may have missed
    // the child, so apply the parent-close policy here (applying it twice is harmless).
    if (!started.ok()) return absl::OkStatus();
    internal::ChildExecutionInfo ci = it->second;
    ci.set_run_id(started->run_id());
    if (ns.ok()) ci.set_namespace_id(ns->id);
    l->lock.unlock();
    return ApplyParentClosePolicy(ms, ci);
  }
  Transition tr(*l->shard, ms, clock_->Now());
  if (failed_cause != api::v1::START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED) {
    auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED);
    auto* a = e->mutable_start_child_workflow_execution_failed_event_attributes();
    a->set_namespace_(child.namespace_());
    a->set_workflow_id(child.workflow_id());
    *a->mutable_workflow_type() = child.workflow_type();
    a->set_cause(failed_cause);
    a->set_initiated_event_id(initiated_id);
    a->set_workflow_task_completed_event_id(init.workflow_task_completed_event_id());
    a->set_control(init.control());
    ms.mutable_children()->erase(it);
  } else {
    auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED);
    auto* a = e->mutable_child_workflow_execution_started_event_attributes();
    a->set_namespace_(child.namespace_());
    a->set_initiated_event_id(initiated_id);
    *a->mutable_workflow_execution() = Execution(child.workflow_id(), started->run_id());
    *a->mutable_workflow_type() = child.workflow_type();
    it->second.set_run_id(started->run_id());
    it->second.set_namespace_id(ns->id);
    it->second.set_started_event_id(e->event_id());  // 0 while buffered
  }
  ScheduleWorkflowTaskIfNeeded(tr);
  return CommitAndInstall(*l, tr);
}

absl::Status HistoryEngine::CloseExecutionTask(const internal::TransferTask& t) {
  internal::MutableState ms;
  api::v1::HistoryEvent close_event;
  {
    auto l = LockRun(t.namespace_id(), t.workflow_id(), t.run_id(), t.namespace_name());
    if (absl::IsNotFound(l.status())) return absl::OkStatus();  // deleted by retention
    if (!l.ok()) return l.status();
    ms = l->entry->state;
    if (IsRunning(ms)) return absl::OkStatus();  // cannot happen: closing is final
    if (!ms.parent_workflow_id().empty() &&
        ms.status() != api::v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW) {
      int64_t last = ms.next_event_id() - 1;
      auto events = ReadHistory(*l->shard, ms, last, last);
      if (!events.ok()) return events.status();
      if (!events->empty()) close_event = std::move(events->front());
    }
  }
  // What the parent-close policy does to children belongs to the closed run's trace.
  std::optional<telemetry::ScopedTrace> span;
  ContinueStoredTrace(ms.trace_context(), span);
  absl::Status result;
  if (!ms.parent_workflow_id().empty() &&
      ms.status() != api::v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW) {
    result.Update(ReportToParent(ms, close_event));
  }
  for (const auto& [id, child] : ms.children()) {
    result.Update(ApplyParentClosePolicy(ms, child));
  }
  return result;
}

absl::Status HistoryEngine::ReportToParent(const internal::MutableState& child,
                                           const api::v1::HistoryEvent& close_event) {
  auto l = LockRun(child.parent_namespace_id(), child.parent_workflow_id(), child.parent_run_id(),
                   child.parent_namespace());
  if (absl::IsNotFound(l.status())) return absl::OkStatus();
  if (!l.ok()) return l.status();
  internal::MutableState ms = l->entry->state;
  if (!IsRunning(ms)) return absl::OkStatus();  // nobody to tell
  auto it = ms.mutable_children()->find(child.parent_initiated_event_id());
  if (it == ms.mutable_children()->end() || it->second.workflow_id() != child.workflow_id()) {
    return absl::OkStatus();  // reported already
  }
  internal::ChildExecutionInfo ci = it->second;
  ms.mutable_children()->erase(it);
  Transition tr(*l->shard, ms, clock_->Now());
  const std::string& first_run =
      child.first_run_id().empty() ? child.run_id() : child.first_run_id();
  if (ci.run_id().empty()) {
    // The child finished before its start was recorded here (the start task is behind).
    auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED);
    auto* a = e->mutable_child_workflow_execution_started_event_attributes();
    a->set_namespace_(ci.namespace_());
    a->set_initiated_event_id(ci.initiated_event_id());
    *a->mutable_workflow_execution() = Execution(ci.workflow_id(), first_run);
    *a->mutable_workflow_type() = ci.workflow_type();
    ci.set_run_id(first_run);
    ci.set_started_event_id(e->event_id());
  }
  const api::v1::WorkflowExecution exec = Execution(ci.workflow_id(), ci.run_id());
  switch (child.status()) {
    case api::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED: {
      auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED);
      auto* a = e->mutable_child_workflow_execution_completed_event_attributes();
      *a->mutable_result() = close_event.workflow_execution_completed_event_attributes().result();
      a->set_namespace_(ci.namespace_());
      *a->mutable_workflow_execution() = exec;
      *a->mutable_workflow_type() = ci.workflow_type();
      a->set_initiated_event_id(ci.initiated_event_id());
      a->set_started_event_id(ci.started_event_id());
      break;
    }
    case api::v1::WORKFLOW_EXECUTION_STATUS_FAILED: {
      auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED);
      auto* a = e->mutable_child_workflow_execution_failed_event_attributes();
      const auto& f = close_event.workflow_execution_failed_event_attributes();
      *a->mutable_failure() = f.failure();
      a->set_retry_state(f.retry_state());
      a->set_namespace_(ci.namespace_());
      *a->mutable_workflow_execution() = exec;
      *a->mutable_workflow_type() = ci.workflow_type();
      a->set_initiated_event_id(ci.initiated_event_id());
      a->set_started_event_id(ci.started_event_id());
      break;
    }
    case api::v1::WORKFLOW_EXECUTION_STATUS_CANCELED: {
      auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED);
      auto* a = e->mutable_child_workflow_execution_canceled_event_attributes();
      *a->mutable_details() = close_event.workflow_execution_canceled_event_attributes().details();
      a->set_namespace_(ci.namespace_());
      *a->mutable_workflow_execution() = exec;
      *a->mutable_workflow_type() = ci.workflow_type();
      a->set_initiated_event_id(ci.initiated_event_id());
      a->set_started_event_id(ci.started_event_id());
      break;
    }
    case api::v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT: {
      auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT);
      auto* a = e->mutable_child_workflow_execution_timed_out_event_attributes();
      a->set_retry_state(api::v1::RETRY_STATE_TIMEOUT);
      a->set_namespace_(ci.namespace_());
      *a->mutable_workflow_execution() = exec;
      *a->mutable_workflow_type() = ci.workflow_type();
      a->set_initiated_event_id(ci.initiated_event_id());
      a->set_started_event_id(ci.started_event_id());
      break;
    }
    default: {  // TERMINATED
      auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED);
      auto* a = e->mutable_child_workflow_execution_terminated_event_attributes();
      a->set_namespace_(ci.namespace_());
      *a->mutable_workflow_execution() = exec;
      *a->mutable_workflow_type() = ci.workflow_type();
      a->set_initiated_event_id(ci.initiated_event_id());
      a->set_started_event_id(ci.started_event_id());
      break;
    }
  }
  ScheduleWorkflowTaskIfNeeded(tr);
  return CommitAndInstall(*l, tr);
}

absl::Status HistoryEngine::ApplyParentClosePolicy(const internal::MutableState& parent,
                                                   const internal::ChildExecutionInfo& child) {
  auto policy = child.parent_close_policy();
  if (policy == api::v1::PARENT_CLOSE_POLICY_ABANDON) return absl::OkStatus();
  NamespaceRef ns{child.namespace_id(), child.namespace_()};
  if (ns.id.empty()) {
    auto resolved = ResolveNamespace(parent, child.namespace_());
    if (absl::IsNotFound(resolved.status())) return absl::OkStatus();
    if (!resolved.ok()) return resolved.status();
    ns = *resolved;
  }
  // The child's current run: the one this parent started, or a run it continued as new to.
  auto l = LockRun(ns.id, child.workflow_id(), "", ns.name);
  if (absl::IsNotFound(l.status())) return absl::OkStatus();  // never started
  if (!l.ok()) return l.status();
  const internal::MutableState& cms = l->entry->state;
  bool ours = cms.parent_workflow_id() == parent.workflow_id() &&
              cms.parent_run_id() == parent.run_id() &&
              cms.parent_initiated_event_id() == child.initiated_event_id();
  if (!ours || !IsRunning(cms)) return absl::OkStatus();
  std::string why =
      absl::StrCat("parent workflow ", parent.workflow_id(), " (run ", parent.run_id(), ") closed ",
                   api::v1::WorkflowExecutionStatus_Name(parent.status()));
  if (policy == api::v1::PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
    if (cms.cancel_requested()) return absl::OkStatus();
    internal::MutableState ms = cms;
    ms.set_cancel_requested(true);
    Transition tr(*l->shard, ms, clock_->Now());
    auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
    auto* a = e->mutable_workflow_execution_cancel_requested_event_attributes();
    a->set_cause(absl::StrCat(why, "; parent-close policy REQUEST_CANCEL"));
    a->set_identity(kServerIdentity);
    a->set_external_workflow_namespace(parent.namespace_name());
    *a->mutable_external_workflow_execution() = Execution(parent.workflow_id(), parent.run_id());
    StampTrace(e);
    ScheduleWorkflowTaskIfNeeded(tr);
    return CommitAndInstall(*l, tr);
  }
  return TerminateLocked(*l, absl::StrCat(why, "; parent-close policy TERMINATE"), kServerIdentity);
}

absl::Status HistoryEngine::SignalExternalTask(const internal::TransferTask& t) {
  const int64_t initiated_id = t.scheduled_event_id();
  internal::ExternalRequestInfo info;
  api::v1::SignalExternalWorkflowExecutionInitiatedEventAttributes init;
  internal::MutableState source;  // ids only
  bool allowed = true;
  std::optional<telemetry::ScopedTrace> span;  // the target's event continues the initiator's
  {
    auto l = LockRun(t.namespace_id(), t.workflow_id(), t.run_id(), t.namespace_name());
    if (absl::IsNotFound(l.status())) return absl::OkStatus();
    if (!l.ok()) return l.status();
    const internal::MutableState& ms = l->entry->state;
    if (!IsRunning(ms)) return absl::OkStatus();
    auto it = ms.pending_signals().find(initiated_id);
    if (it == ms.pending_signals().end()) return absl::OkStatus();  // done already
    info = it->second;
    auto events = ReadHistory(*l->shard, ms, initiated_id, initiated_id);
    if (!events.ok()) return events.status();
    if (events->empty() ||
        !events->front().has_signal_external_workflow_execution_initiated_event_attributes()) {
      return absl::DataLossError(
          absl::StrCat("event ", initiated_id, " of ", ms.workflow_id(),
                       " is not a SignalExternalWorkflowExecutionInitiated"));
    }
    init = events->front().signal_external_workflow_execution_initiated_event_attributes();
    ContinueStoredTrace(events->front().trace_context(), span);
    if (info.child_workflow_only()) allowed = TargetIsStartedChild(ms, info);
    source.set_namespace_id(ms.namespace_id());
    source.set_namespace_name(ms.namespace_name());
    source.set_workflow_id(ms.workflow_id());
    source.set_run_id(ms.run_id());
  }

  auto cause = api::v1::SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED;
  std::string target_run = info.run_id();
  auto ns = ResolveNamespace(source, info.namespace_());
  if (!allowed) {
    cause = api::v1::
        SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND;
  } else if (absl::IsNotFound(ns.status())) {
    cause = api::v1::SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND;
  } else if (!ns.ok()) {
    return ns.status();
  } else {
    auto l = LockRun(ns->id, info.workflow_id(), info.run_id(), ns->name);
    if (absl::IsNotFound(l.status())) {
      cause = api::v1::
          SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND;
    } else if (!l.ok()) {
      return l.status();
    } else if (!IsRunning(l->entry->state)) {
      cause = api::v1::
          SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND;
    } else {
      internal::MutableState ms = l->entry->state;
      target_run = ms.run_id();
      bool duplicate = std::find(ms.signal_request_ids().begin(), ms.signal_request_ids().end(),
                                 info.request_id()) != ms.signal_request_ids().end();
      if (!duplicate) {
        ms.add_signal_request_ids(info.request_id());
        if (ms.signal_request_ids_size() > kMaxSignalRequestIds) {
          ms.mutable_signal_request_ids()->erase(ms.mutable_signal_request_ids()->begin());
        }
        Transition tr(*l->shard, ms, clock_->Now());
        auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
        auto* a = e->mutable_workflow_execution_signaled_event_attributes();
        a->set_signal_name(init.signal_name());
        *a->mutable_input() = init.input();
        a->set_identity(kServerIdentity);
        a->set_external_workflow_namespace(source.namespace_name());
        *a->mutable_external_workflow_execution() =
            Execution(source.workflow_id(), source.run_id());
        StampTrace(e);
        ScheduleWorkflowTaskIfNeeded(tr);
        if (auto s = CommitAndInstall(*l, tr); !s.ok()) return s;
      }
    }
  }

  auto l = LockRun(t.namespace_id(), t.workflow_id(), t.run_id(), t.namespace_name());
  if (absl::IsNotFound(l.status())) return absl::OkStatus();
  if (!l.ok()) return l.status();
  internal::MutableState ms = l->entry->state;
  if (!IsRunning(ms) || ms.mutable_pending_signals()->erase(initiated_id) == 0) {
    return absl::OkStatus();
  }
  Transition tr(*l->shard, ms, clock_->Now());
  if (cause != api::v1::SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED) {
    auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED);
    auto* a = e->mutable_signal_external_workflow_execution_failed_event_attributes();
    a->set_cause(cause);
    a->set_workflow_task_completed_event_id(init.workflow_task_completed_event_id());
    a->set_namespace_(info.namespace_());
    *a->mutable_workflow_execution() = init.workflow_execution();
    a->set_initiated_event_id(initiated_id);
    a->set_control(init.control());
  } else {
    auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED);
    auto* a = e->mutable_external_workflow_execution_signaled_event_attributes();
    a->set_initiated_event_id(initiated_id);
    a->set_namespace_(info.namespace_());
    *a->mutable_workflow_execution() = Execution(info.workflow_id(), target_run);
    a->set_control(init.control());
  }
  ScheduleWorkflowTaskIfNeeded(tr);
  return CommitAndInstall(*l, tr);
}

absl::Status HistoryEngine::CancelExternalTask(const internal::TransferTask& t) {
  const int64_t initiated_id = t.scheduled_event_id();
  internal::ExternalRequestInfo info;
  api::v1::RequestCancelExternalWorkflowExecutionInitiatedEventAttributes init;
  internal::MutableState source;  // ids only
  bool allowed = true;
  std::optional<telemetry::ScopedTrace> span;  // the target's event continues the initiator's
  {
    auto l = LockRun(t.namespace_id(), t.workflow_id(), t.run_id(), t.namespace_name());
    if (absl::IsNotFound(l.status())) return absl::OkStatus();
    if (!l.ok()) return l.status();
    const internal::MutableState& ms = l->entry->state;
    if (!IsRunning(ms)) return absl::OkStatus();
    auto it = ms.pending_cancels().find(initiated_id);
    if (it == ms.pending_cancels().end()) return absl::OkStatus();  // done already
    info = it->second;
    auto events = ReadHistory(*l->shard, ms, initiated_id, initiated_id);
    if (!events.ok()) return events.status();
    if (events->empty() ||
        !events->front()
             .has_request_cancel_external_workflow_execution_initiated_event_attributes()) {
      return absl::DataLossError(
          absl::StrCat("event ", initiated_id, " of ", ms.workflow_id(),
                       " is not a RequestCancelExternalWorkflowExecutionInitiated"));
    }
    init = events->front().request_cancel_external_workflow_execution_initiated_event_attributes();
    ContinueStoredTrace(events->front().trace_context(), span);
    if (info.child_workflow_only()) allowed = TargetIsStartedChild(ms, info);
    source.set_namespace_id(ms.namespace_id());
    source.set_namespace_name(ms.namespace_name());
    source.set_workflow_id(ms.workflow_id());
    source.set_run_id(ms.run_id());
  }

  auto cause = api::v1::CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED;
  std::string target_run = info.run_id();
  auto ns = ResolveNamespace(source, info.namespace_());
  if (!allowed) {
    cause = api::v1::
        CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND;
  } else if (absl::IsNotFound(ns.status())) {
    cause = api::v1::CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND;
  } else if (!ns.ok()) {
    return ns.status();
  } else {
    auto l = LockRun(ns->id, info.workflow_id(), info.run_id(), ns->name);
    if (absl::IsNotFound(l.status()) || (l.ok() && !IsRunning(l->entry->state))) {
      cause = api::v1::
          CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND;
    } else if (!l.ok()) {
      return l.status();
    } else if (!l->entry->state.cancel_requested()) {  // asked already: nothing to add
      internal::MutableState ms = l->entry->state;
      target_run = ms.run_id();
      ms.set_cancel_requested(true);
      Transition tr(*l->shard, ms, clock_->Now());
      auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
      auto* a = e->mutable_workflow_execution_cancel_requested_event_attributes();
      a->set_cause(init.reason());
      a->set_identity(kServerIdentity);
      a->set_external_workflow_namespace(source.namespace_name());
      *a->mutable_external_workflow_execution() = Execution(source.workflow_id(), source.run_id());
      a->set_external_initiated_event_id(initiated_id);
      StampTrace(e);
      ScheduleWorkflowTaskIfNeeded(tr);
      if (auto s = CommitAndInstall(*l, tr); !s.ok()) return s;
    } else {
      target_run = l->entry->state.run_id();
    }
  }

  auto l = LockRun(t.namespace_id(), t.workflow_id(), t.run_id(), t.namespace_name());
  if (absl::IsNotFound(l.status())) return absl::OkStatus();
  if (!l.ok()) return l.status();
  internal::MutableState ms = l->entry->state;
  if (!IsRunning(ms) || ms.mutable_pending_cancels()->erase(initiated_id) == 0) {
    return absl::OkStatus();
  }
  Transition tr(*l->shard, ms, clock_->Now());
  if (cause != api::v1::CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED) {
    auto* e =
        tr.AppendExternal(api::v1::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED);
    auto* a = e->mutable_request_cancel_external_workflow_execution_failed_event_attributes();
    a->set_cause(cause);
    a->set_workflow_task_completed_event_id(init.workflow_task_completed_event_id());
    a->set_namespace_(info.namespace_());
    *a->mutable_workflow_execution() = init.workflow_execution();
    a->set_initiated_event_id(initiated_id);
    a->set_control(init.control());
  } else {
    auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
    auto* a = e->mutable_external_workflow_execution_cancel_requested_event_attributes();
    a->set_initiated_event_id(initiated_id);
    a->set_namespace_(info.namespace_());
    *a->mutable_workflow_execution() = Execution(info.workflow_id(), target_run);
  }
  ScheduleWorkflowTaskIfNeeded(tr);
  return CommitAndInstall(*l, tr);
}

}  // namespace weft::history
