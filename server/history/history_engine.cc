#include "server/history/history_engine.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/common/ids.h"
#include "server/common/logging.h"
#include "server/common/proto_time.h"
#include "server/history/keys.h"
#include "server/history/trace_context_util.h"
#include "storage/key_codec.h"

namespace weft::history {

using api::v1::EventType;
using api::v1::WorkflowExecutionStatus;

namespace {

constexpr int kMaxSignalRequestIds = 100;

std::string OutcomeName(WorkflowExecutionStatus s) {
  switch (s) {
    case api::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED:
      return "completed";
    case api::v1::WORKFLOW_EXECUTION_STATUS_FAILED:
      return "failed";
    case api::v1::WORKFLOW_EXECUTION_STATUS_CANCELED:
      return "canceled";
    case api::v1::WORKFLOW_EXECUTION_STATUS_TERMINATED:
      return "terminated";
    case api::v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
      return "timed_out";
    case api::v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
      return "continued_as_new";
    default:
      return "unknown";
  }
}

bool IsRunning(const internal::MutableState& ms) {
  return ms.status() == api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING;
}

absl::Status NotFoundRun(const std::string& ns, const std::string& wf, const std::string& run) {
  return absl::NotFoundError(absl::StrCat("workflow execution not found: workflow_id=\"", wf, "\"",
                                          run.empty() ? "" : absl::StrCat(" run_id=", run),
                                          " in namespace \"", ns, "\""));
}

absl::Status AlreadyClosed(const internal::MutableState& ms) {
  return absl::NotFoundError(absl::StrCat(
      "workflow execution already completed: workflow_id=\"", ms.workflow_id(),
      "\" run_id=", ms.run_id(), " status=", api::v1::WorkflowExecutionStatus_Name(ms.status())));
}

}  // namespace

HistoryEngine::HistoryEngine(storage::Store* store, matching::MatchingClient* matching,
                             const Clock* clock, Metrics* metrics, Options options)
    : store_(store), matching_(matching), clock_(clock), metrics_(metrics), options_(options) {
  storage::GroupCommitter::Options copts;
  copts.name = "history";
  copts.on_commit = [this](double secs, int n, size_t) {
    if (metrics_) metrics_->RecordCommit(secs, n);
  };
  committer_ = std::make_unique<storage::GroupCommitter>(store_, std::move(copts));
  for (int i = 0; i < options_.num_shards; ++i) {
    shards_.push_back(std::make_unique<Shard>(
        i, store_, committer_.get(), clock_,
        [this, i](const internal::TransferTask& t) { return HandleTransferTask(*shards_[i], t); },
        [this, i](const internal::TimerTask& t) { return HandleTimerTask(*shards_[i], t); }));
  }
}

HistoryEngine::~HistoryEngine() { Stop(); }

absl::Status HistoryEngine::Start() {
  size_t transfer_tasks = 0, timer_tasks = 0;
  for (auto& s : shards_) {
    if (auto st = s->Open(); !st.ok()) return st;
    transfer_tasks += s->recovered_transfer_tasks();
    timer_tasks += s->recovered_timer_tasks();
  }
  logs::History().Info("history shards open", {{"shards", shards_.size()},
                                               {"recovered_transfer_tasks", transfer_tasks},
                                               {"recovered_timer_tasks", timer_tasks}});
  if (options_.circuit_breakers) {
    options_.circuit_breakers->SetReleaseHandler(
        [this](const BreakerAttempt& a) { ReleaseHeldAttempt(a); });
  }
  for (auto& s : shards_) s->Start();
  return absl::OkStatus();
}

void HistoryEngine::Stop() {
  stopping_ = true;
  if (options_.circuit_breakers) options_.circuit_breakers->SetReleaseHandler(nullptr);
  for (auto& s : shards_) s->Stop();
}

Shard& HistoryEngine::ShardOf(const std::string& ns_id, const std::string& wf) {
  return *shards_[keys::ShardFor(ns_id, wf, options_.num_shards)];
}

absl::StatusOr<std::optional<internal::CurrentExecution>> HistoryEngine::ReadCurrent(
    Shard& shard, const std::string& ns_id, const std::string& wf) {
  auto raw = store_->Get(storage::Cf::kCurrent, keys::Current(shard.id(), ns_id, wf));
  if (absl::IsNotFound(raw.status())) return std::optional<internal::CurrentExecution>();
  if (!raw.ok()) return raw.status();
  internal::CurrentExecution cur;
  if (!cur.ParseFromString(*raw)) return absl::DataLossError("corrupt current-run record");
  return std::optional<internal::CurrentExecution>(std::move(cur));
}

HistoryEngine::Locked HistoryEngine::LockWorkflowId(const std::string& ns_id,
                                                    const std::string& wf) {
  Locked l;
  l.shard = &ShardOf(ns_id, wf);
  // The "current" slot shares the cache with runs under a key no run can have.
  l.entry = l.shard->cache().Get(keys::Current(l.shard->id(), ns_id, wf));
  l.lock = std::unique_lock<std::mutex>(l.entry->mu);
  return l;
}

absl::StatusOr<HistoryEngine::Locked> HistoryEngine::LockRun(const std::string& ns_id,
                                                             const std::string& wf,
                                                             const std::string& run_id,
                                                             const std::string& ns_name) {
  Locked l;
  l.shard = &ShardOf(ns_id, wf);
  std::string run = run_id;
  if (run.empty()) {
    auto cur = ReadCurrent(*l.shard, ns_id, wf);
    if (!cur.ok()) return cur.status();
    if (!cur->has_value()) return NotFoundRun(ns_name, wf, run_id);
    run = (*cur)->run_id();
  }
  l.entry = l.shard->cache().Get(keys::Execution(l.shard->id(), ns_id, wf, run));
  auto wait_start = std::chrono::steady_clock::now();
  l.lock = std::unique_lock<std::mutex>(l.entry->mu);
  if (metrics_) {
    std::chrono::duration<double> waited = std::chrono::steady_clock::now() - wait_start;
    metrics_->RecordLockWait(waited.count());
    metrics_->RecordCacheLookup(l.entry->loaded);
  }
  if (!l.entry->loaded) {
    auto raw =
        store_->Get(storage::Cf::kExecutions, keys::Execution(l.shard->id(), ns_id, wf, run));
    if (raw.ok()) {
      if (!l.entry->state.ParseFromString(*raw)) {
        return absl::DataLossError(absl::StrCat("corrupt mutable state of ", wf, "/", run));
      }
      l.entry->exists = true;
    } else if (absl::IsNotFound(raw.status())) {
      l.entry->exists = false;
    } else {
      return raw.status();
    }
    l.entry->loaded = true;
  }
  if (!l.entry->exists) return NotFoundRun(ns_name, wf, run);
  return l;
}

void HistoryEngine::EnforceHistoryLimits(Transition& tr) {
  internal::MutableState& ms = tr.ms();
  int64_t events = ms.next_event_id() - 1;
  if (!IsRunning(ms) || (events < options_.history_limit_events &&
                         ms.history_size_bytes() < options_.history_limit_bytes)) {
    return;
  }
  tr.FlushBuffered();
  auto* e = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  auto* a = e->mutable_workflow_execution_terminated_event_attributes();
  a->set_reason(
      absl::StrCat("history limit reached: ", events, " events, ", ms.history_size_bytes(),
                   " bytes (limits ", options_.history_limit_events, " events, ",
                   options_.history_limit_bytes, " bytes); continue as new before the limit"));
  a->set_identity("weft-server");
  CloseRun(tr, api::v1::WORKFLOW_EXECUTION_STATUS_TERMINATED);
}

absl::Status HistoryEngine::CommitAndInstall(Locked& locked, Transition& tr, bool sync) {
  EnforceHistoryLimits(tr);
  absl::Status s = tr.Commit(sync);
  if (!s.ok()) {
    locked.entry->loaded = false;  // reload from storage next time
    return s;
  }
  if (metrics_) metrics_->RecordTransition(tr.ms().namespace_name());
  locked.entry->state = std::move(tr.ms());
  locked.entry->loaded = true;
  locked.entry->exists = true;
  locked.entry->changed.notify_all();
  if (Transition* next = tr.next_run()) {
    // A run nobody else can know yet: locking it under this run's lock cannot deadlock.
    internal::MutableState& nms = next->ms();
    auto entry = locked.shard->cache().Get(
        keys::Execution(locked.shard->id(), nms.namespace_id(), nms.workflow_id(), nms.run_id()));
    std::lock_guard<std::mutex> lock(entry->mu);
    entry->state = std::move(nms);
    entry->loaded = true;
    entry->exists = true;
  }
  // Only now may workers see the new tasks: a task of the new run must find its state in
  // the cache, not be overtaken by a late install of an older copy.
  tr.Publish();
  return absl::OkStatus();
}

void HistoryEngine::ScheduleWorkflowTask(Transition& tr) {
  internal::MutableState& ms = tr.ms();
  int attempt = std::max(1, ms.workflow_task().attempt());
  auto* e = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  auto* a = e->mutable_workflow_task_scheduled_event_attributes();
  a->mutable_task_queue()->set_name(ms.task_queue());
  *a->mutable_start_to_close_timeout() = ms.workflow_task_timeout();
  a->set_attempt(attempt);
  auto* wt = ms.mutable_workflow_task();
  wt->set_scheduled_event_id(e->event_id());
  wt->set_started_event_id(0);
  wt->set_attempt(attempt);
  wt->set_in_backoff(false);
  *wt->mutable_scheduled_time() = ToProto(tr.now());
  DispatchWorkflowTask(tr);  // to the run's sticky queue, if a worker has it cached
}

void HistoryEngine::ScheduleWorkflowTaskIfNeeded(Transition& tr) {
  const auto& wt = tr.ms().workflow_task();
  if (!IsRunning(tr.ms()) || wt.scheduled_event_id() != 0 || wt.in_backoff()) return;
  tr.ms().mutable_workflow_task()->set_attempt(1);
  ScheduleWorkflowTask(tr);
}

void HistoryEngine::CloseRun(Transition& tr, WorkflowExecutionStatus status) {
  internal::MutableState& ms = tr.ms();
  ms.set_status(status);
  *ms.mutable_close_time() = ToProto(tr.now());
  ms.clear_activities();
  ms.clear_timers();
  ms.clear_workflow_task();
  ms.clear_buffered_events();
  internal::CurrentExecution cur;
  cur.set_run_id(ms.run_id());
  cur.set_status(status);
  cur.set_start_request_id(ms.start_request_id());
  tr.SetCurrent(cur);
  tr.UpdateVisibility();
  AddCloseExecutionTask(tr);
  ScheduleRetention(tr);
  if (metrics_) {
    double secs = absl::ToDoubleSeconds(tr.now() - FromProto(ms.start_time()));
    tr.OnCommitted([m = metrics_, ns = ms.namespace_name(), type = ms.workflow_type().name(),
                    outcome = OutcomeName(status),
                    secs] { m->WorkflowClosed(ns, type, outcome, secs); });
  }
  if (logs::History().Enabled(telemetry::LogLevel::kDebug)) {
    tr.OnCommitted([ns = ms.namespace_name(), id = ms.workflow_id(), run = ms.run_id(),
                    type = ms.workflow_type().name(), outcome = OutcomeName(status)] {
      logs::History().Debug("workflow closed", {{"namespace", ns},
                                                {"workflow_id", id},
                                                {"run_id", run},
                                                {"workflow_type", type},
                                                {"outcome", outcome}});
    });
  }
}

internal::MutableState HistoryEngine::NewRunState(const NamespaceRef& ns, const NewRun& spec) {
  internal::MutableState ms;
  ms.set_namespace_id(ns.id);
  ms.set_namespace_name(ns.name);
  ms.set_workflow_id(spec.workflow_id);
  ms.set_run_id(NewUuid());
  return ms;
}

void HistoryEngine::InitRun(Transition& tr, const NewRun& spec) {
  internal::MutableState& ms = tr.ms();
  absl::Time now = tr.now();
  *ms.mutable_workflow_type() = spec.type;
  ms.set_task_queue(spec.task_queue);
  ms.set_status(api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  *ms.mutable_start_time() = ToProto(now);
  absl::Duration wtt = spec.task_timeout;
  if (wtt <= absl::ZeroDuration()) wtt = options_.default_workflow_task_timeout;
  *ms.mutable_workflow_task_timeout() = ToProto(wtt);
  *ms.mutable_run_timeout() = ToProto(spec.run_timeout);
  *ms.mutable_execution_timeout() = ToProto(spec.execution_timeout);
  *ms.mutable_memo() = spec.memo;
  *ms.mutable_search_attributes() = spec.search_attributes;
  ms.set_priority(spec.priority != 0 ? spec.priority : matching::kDefaultPriority);
  ms.set_next_event_id(1);
  ms.set_start_request_id(spec.request_id);
  ms.set_continued_from_run_id(spec.continued_from_run_id);

  auto* started = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  auto* a = started->mutable_workflow_execution_started_event_attributes();
  *a->mutable_workflow_type() = spec.type;
  a->mutable_task_queue()->set_name(spec.task_queue);
  *a->mutable_input() = spec.input;
  *a->mutable_workflow_execution_timeout() = ToProto(spec.execution_timeout);
  *a->mutable_workflow_run_timeout() = ToProto(spec.run_timeout);
  *a->mutable_workflow_task_timeout() = ToProto(wtt);
  a->set_identity(spec.identity);
  a->set_attempt(1);
  *a->mutable_retry_policy() = spec.retry_policy;
  *a->mutable_memo() = spec.memo;
  *a->mutable_search_attributes() = spec.search_attributes;
  a->set_priority(ms.priority());
  a->set_original_execution_run_id(ms.run_id());
  ms.set_first_run_id(spec.first_run_id.empty() ? ms.run_id() : spec.first_run_id);
  a->set_first_execution_run_id(ms.first_run_id());
  a->set_continued_execution_run_id(spec.continued_from_run_id);
  api::v1::TraceContext trace =
      spec.trace_context.traceparent().empty() ? CurrentTraceContext() : spec.trace_context;
  if (!trace.traceparent().empty()) {
    *started->mutable_trace_context() = trace;
    *ms.mutable_trace_context() = trace;
  }
  if (spec.parent) {
    const ParentRef& p = *spec.parent;
    ms.set_parent_namespace_id(p.namespace_id);
    ms.set_parent_namespace(p.namespace_name);
    ms.set_parent_workflow_id(p.workflow_id);
    ms.set_parent_run_id(p.run_id);
    ms.set_parent_initiated_event_id(p.initiated_event_id);
    a->set_parent_workflow_namespace(p.namespace_name);
    a->mutable_parent_workflow_execution()->set_workflow_id(p.workflow_id);
    a->mutable_parent_workflow_execution()->set_run_id(p.run_id);
    a->set_parent_initiated_event_id(p.initiated_event_id);
    a->set_parent_close_policy(p.close_policy);
  }
  if (spec.signal != nullptr) {
    auto* se = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
    auto* sa = se->mutable_workflow_execution_signaled_event_attributes();
    sa->set_signal_name(spec.signal->signal_name());
    *sa->mutable_input() = spec.signal->signal_input();
    sa->set_identity(spec.identity);
    StampTrace(se);
  }
  ms.mutable_workflow_task()->set_attempt(1);
  ScheduleWorkflowTask(tr);

  // The run ends at the earlier of the run and execution timeouts.
  absl::Duration limit = absl::InfiniteDuration();
  if (spec.run_timeout > absl::ZeroDuration()) limit = spec.run_timeout;
  if (spec.execution_timeout > absl::ZeroDuration())
    limit = std::min(limit, spec.execution_timeout);
  if (limit != absl::InfiniteDuration()) {
    internal::TimerTask t;
    t.set_type(internal::TIMER_TASK_TYPE_WORKFLOW_RUN_TIMEOUT);
    *t.mutable_fire_time() = ToProto(now + limit);
    tr.AddTimerTask(std::move(t));
  }
  internal::CurrentExecution cur;
  cur.set_run_id(ms.run_id());
  cur.set_status(api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  cur.set_start_request_id(spec.request_id);
  tr.SetCurrent(cur);
  tr.UpdateVisibility();
  if (metrics_) {
    tr.OnCommitted([m = metrics_, ns = ms.namespace_name(), type = spec.type.name()] {
      m->WorkflowStarted(ns, type);
    });
  }
}

// ---- start ----

absl::StatusOr<api::v1::StartWorkflowExecutionResponse> HistoryEngine::StartWorkflowExecution(
    const NamespaceRef& ns, const api::v1::StartWorkflowExecutionRequest& req,
    const api::v1::SignalWithStartWorkflowExecutionRequest* signal) {
  return StartWorkflow(ns, req, signal, nullptr);
}

absl::StatusOr<api::v1::StartWorkflowExecutionResponse> HistoryEngine::StartWorkflow(
    const NamespaceRef& ns, const api::v1::StartWorkflowExecutionRequest& req,
    const api::v1::SignalWithStartWorkflowExecutionRequest* signal, const ParentRef* parent) {
  Locked id_lock = LockWorkflowId(ns.id, req.workflow_id());
  Shard& shard = *id_lock.shard;
  auto cur = ReadCurrent(shard, ns.id, req.workflow_id());
  if (!cur.ok()) return cur.status();
  api::v1::StartWorkflowExecutionResponse resp;
  if (cur->has_value()) {
    const internal::CurrentExecution& c = **cur;
    bool same_request = !req.request_id().empty() && c.start_request_id() == req.request_id();
    if (same_request) {
      resp.set_run_id(c.run_id());
      resp.set_started(false);
      return resp;
    }
    auto policy = req.workflow_id_reuse_policy();
    if (c.status() == api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING) {
      if (signal != nullptr) {
        auto run = LockRun(ns.id, req.workflow_id(), c.run_id(), ns.name);
        if (!run.ok()) return run.status();
        auto s = SignalLocked(*run, signal->signal_name(), signal->signal_input(), req.identity(),
                              req.request_id());
        if (!s.ok()) return s;
        resp.set_run_id(c.run_id());
        resp.set_started(false);
        return resp;
      }
      if (policy != api::v1::WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING) {
        return absl::AlreadyExistsError(absl::StrCat(
            "workflow execution already started: workflow_id=\"", req.workflow_id(), "\" run_id=",
            c.run_id(), " (use a new workflow id, or id-reuse policy TERMINATE_IF_RUNNING)"));
      }
      auto run = LockRun(ns.id, req.workflow_id(), c.run_id(), ns.name);
      if (!run.ok()) return run.status();
      if (auto s = TerminateLocked(*run, "terminated by a new start (TERMINATE_IF_RUNNING)",
                                   req.identity());
          !s.ok()) {
        return s;
      }
    } else {
      bool failed = c.status() != api::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED;
      if (policy == api::v1::WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE ||
          (policy == api::v1::WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY && !failed)) {
        return absl::AlreadyExistsError(
            absl::StrCat("workflow id \"", req.workflow_id(), "\" was already used by run ",
                         c.run_id(), " and the id-reuse policy ",
                         api::v1::WorkflowIdReusePolicy_Name(policy), " forbids another run"));
      }
    }
  }

  NewRun spec;
  spec.workflow_id = req.workflow_id();
  spec.type = req.workflow_type();
  spec.task_queue = req.task_queue().name();
  spec.input = req.input();
  spec.task_timeout = FromProto(req.workflow_task_timeout());
  spec.run_timeout = FromProto(req.workflow_run_timeout());
  spec.execution_timeout = FromProto(req.workflow_execution_timeout());
  spec.retry_policy = req.retry_policy();
  spec.memo = req.memo();
  spec.search_attributes = req.search_attributes();
  spec.priority = req.priority();
  spec.identity = req.identity();
  spec.request_id = req.request_id();
  spec.signal = signal;
  if (parent != nullptr) spec.parent = *parent;
  internal::MutableState ms = NewRunState(ns, spec);
  Transition tr(shard, ms, clock_->Now());
  InitRun(tr, spec);

  Locked run;
  run.shard = &shard;
  run.entry = shard.cache().Get(keys::Execution(shard.id(), ns.id, req.workflow_id(), ms.run_id()));
  run.lock = std::unique_lock<std::mutex>(run.entry->mu);
  std::string run_id = ms.run_id();
  if (auto s = CommitAndInstall(run, tr); !s.ok()) return s;
  logs::History().Debug("workflow started", {{"namespace", ns.name},
                                             {"workflow_id", req.workflow_id()},
                                             {"run_id", run_id},
                                             {"workflow_type", req.workflow_type().name()},
                                             {"task_queue", req.task_queue().name()}});
  resp.set_run_id(run_id);
  resp.set_started(true);
  return resp;
}

// ---- signal, cancel, terminate ----

absl::Status HistoryEngine::SignalLocked(Locked& locked, const std::string& name,
                                         const api::v1::Payloads& input,
                                         const std::string& identity,
                                         const std::string& request_id) {
  internal::MutableState ms = locked.entry->state;
  if (!IsRunning(ms)) return AlreadyClosed(ms);
  if (!request_id.empty()) {
    for (const auto& id : ms.signal_request_ids()) {
      if (id == request_id) return absl::OkStatus();  // a retried signal: already delivered
    }
    ms.add_signal_request_ids(request_id);
    if (ms.signal_request_ids_size() > kMaxSignalRequestIds) {
      ms.mutable_signal_request_ids()->erase(ms.mutable_signal_request_ids()->begin());
    }
  }
  Transition tr(*locked.shard, ms, clock_->Now());
  auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  auto* a = e->mutable_workflow_execution_signaled_event_attributes();
  a->set_signal_name(name);
  *a->mutable_input() = input;
  a->set_identity(identity);
  StampTrace(e);
  ScheduleWorkflowTaskIfNeeded(tr);
  return CommitAndInstall(locked, tr);
}

absl::Status HistoryEngine::SignalWorkflowExecution(
    const NamespaceRef& ns, const api::v1::SignalWorkflowExecutionRequest& req) {
  auto l = LockRun(ns.id, req.workflow_execution().workflow_id(), req.workflow_execution().run_id(),
                   ns.name);
  if (!l.ok()) return l.status();
  return SignalLocked(*l, req.signal_name(), req.input(), req.identity(), req.request_id());
}

absl::Status HistoryEngine::RequestCancelWorkflowExecution(
    const NamespaceRef& ns, const api::v1::RequestCancelWorkflowExecutionRequest& req) {
  auto l = LockRun(ns.id, req.workflow_execution().workflow_id(), req.workflow_execution().run_id(),
                   ns.name);
  if (!l.ok()) return l.status();
  internal::MutableState ms = l->entry->state;
  if (!IsRunning(ms)) return AlreadyClosed(ms);
  if (ms.cancel_requested()) return absl::OkStatus();  // idempotent
  ms.set_cancel_requested(true);
  Transition tr(*l->shard, ms, clock_->Now());
  auto* e = tr.AppendExternal(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
  auto* a = e->mutable_workflow_execution_cancel_requested_event_attributes();
  a->set_cause(req.reason());
  a->set_identity(req.identity());
  StampTrace(e);
  ScheduleWorkflowTaskIfNeeded(tr);
  return CommitAndInstall(*l, tr);
}

absl::Status HistoryEngine::TerminateLocked(Locked& locked, const std::string& reason,
                                            const std::string& identity) {
  internal::MutableState ms = locked.entry->state;
  if (!IsRunning(ms)) return AlreadyClosed(ms);
  Transition tr(*locked.shard, ms, clock_->Now());
  tr.FlushBuffered();
  auto* e = tr.Append(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  auto* a = e->mutable_workflow_execution_terminated_event_attributes();
  a->set_reason(reason);
  a->set_identity(identity);
  StampTrace(e);
  CloseRun(tr, api::v1::WORKFLOW_EXECUTION_STATUS_TERMINATED);
  return CommitAndInstall(locked, tr);
}

absl::Status HistoryEngine::TerminateWorkflowExecution(
    const NamespaceRef& ns, const api::v1::TerminateWorkflowExecutionRequest& req) {
  auto l = LockRun(ns.id, req.workflow_execution().workflow_id(), req.workflow_execution().run_id(),
                   ns.name);
  if (!l.ok()) return l.status();
  return TerminateLocked(*l, req.reason(), req.identity());
}

// ---- reads ----

absl::StatusOr<std::vector<api::v1::HistoryEvent>> HistoryEngine::ReadHistory(
    Shard& shard, const internal::MutableState& ms, int64_t from, int64_t to) {
  std::vector<api::v1::HistoryEvent> out;
  absl::Status parse;
  std::string prefix =
      keys::HistoryPrefix(shard.id(), ms.namespace_id(), ms.workflow_id(), ms.run_id());
  // Seek to the batch holding `from` (the last one whose first event id is <= from) instead
  // of reading from the run's first event: a sticky task reads only its new events.
  std::string start = prefix;
  if (from > 1) {
    absl::Status s = store_->ScanReverse(
        storage::Cf::kHistory, prefix,
        keys::HistoryBatch(shard.id(), ms.namespace_id(), ms.workflow_id(), ms.run_id(), from + 1),
        [&](std::string_view key, std::string_view) {
          start = std::string(key);
          return false;
        },
        1);
    if (!s.ok()) return s;
  }
  absl::Status s =
      store_->Scan(storage::Cf::kHistory, start, storage::PrefixSuccessor(prefix),
                   [&](std::string_view, std::string_view value) {
                     api::v1::History batch;
                     if (!batch.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                       parse = absl::DataLossError("corrupt history batch");
                       return false;
                     }
                     for (auto& e : *batch.mutable_events()) {
                       if (e.event_id() > to) return false;
                       if (e.event_id() >= from) out.push_back(std::move(e));
                     }
                     return true;
                   });
  if (!s.ok()) return s;
  if (!parse.ok()) return parse;
  return out;
}

absl::StatusOr<api::v1::GetWorkflowExecutionHistoryResponse>
HistoryEngine::GetWorkflowExecutionHistory(const NamespaceRef& ns,
                                           const api::v1::GetWorkflowExecutionHistoryRequest& req,
                                           absl::Time deadline) {
  auto l = LockRun(ns.id, req.execution().workflow_id(), req.execution().run_id(), ns.name);
  if (!l.ok()) return l.status();
  int64_t from = 1;
  if (!req.next_page_token().empty() && !absl::SimpleAtoi(req.next_page_token(), &from)) {
    return absl::InvalidArgumentError("next_page_token is not one this server issued");
  }
  int page = req.maximum_page_size() > 0 ? req.maximum_page_size() : 1000;
  bool close_only =
      req.history_event_filter_type() == api::v1::HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
  deadline = std::min(deadline, clock_->Now() + options_.max_long_poll);
  api::v1::GetWorkflowExecutionHistoryResponse resp;
  for (;;) {
    const internal::MutableState& ms = l->entry->state;
    bool running = IsRunning(ms);
    int64_t next = ms.next_event_id();
    if (close_only && !running) {
      auto events = ReadHistory(*l->shard, ms, next - 1, next - 1);
      if (!events.ok()) return events.status();
      for (auto& e : *events) *resp.mutable_history()->add_events() = std::move(e);
      return resp;
    }
    if (!close_only && from < next) {
      int64_t to = std::min(next - 1, from + page - 1);
      auto events = ReadHistory(*l->shard, ms, from, to);
      if (!events.ok()) return events.status();
      for (auto& e : *events) *resp.mutable_history()->add_events() = std::move(e);
      if (to + 1 < next || (running && req.wait_new_event())) {
        resp.set_next_page_token(absl::StrCat(to + 1));
      }
      return resp;
    }
    if (!req.wait_new_event() || !running) {
      // Nothing more now; a waiting caller of a running run keeps its place.
      if (running && !close_only) resp.set_next_page_token(absl::StrCat(from));
      return resp;
    }
    absl::Time now = clock_->Now();
    if (now >= deadline || stopping_) {
      if (!close_only) resp.set_next_page_token(absl::StrCat(from));
      return resp;
    }
    l->entry->changed.wait_for(
        l->lock, absl::ToChronoNanoseconds(std::min(deadline - now, absl::Seconds(1))));
    if (!l->entry->loaded) {
      // A failed commit dropped the cached state; reload it.
      std::string run = l->entry->state.run_id();
      l->lock.unlock();
      auto again = LockRun(ns.id, req.execution().workflow_id(), run, ns.name);
      if (!again.ok()) return again.status();
      *l = std::move(*again);
    }
  }
}

absl::StatusOr<api::v1::DescribeWorkflowExecutionResponse> HistoryEngine::DescribeWorkflowExecution(
    const NamespaceRef& ns, const api::v1::WorkflowExecution& execution) {
  auto l = LockRun(ns.id, execution.workflow_id(), execution.run_id(), ns.name);
  if (!l.ok()) return l.status();
  const internal::MutableState& ms = l->entry->state;
  api::v1::DescribeWorkflowExecutionResponse resp;
  auto* info = resp.mutable_workflow_execution_info();
  info->mutable_execution()->set_workflow_id(ms.workflow_id());
  info->mutable_execution()->set_run_id(ms.run_id());
  *info->mutable_type() = ms.workflow_type();
  *info->mutable_start_time() = ms.start_time();
  *info->mutable_execution_time() = ms.start_time();
  if (ms.has_close_time()) *info->mutable_close_time() = ms.close_time();
  info->set_status(ms.status());
  info->set_history_length(ms.next_event_id() - 1);
  info->set_task_queue(ms.task_queue());
  *info->mutable_memo() = ms.memo();
  *info->mutable_search_attributes() = ms.search_attributes();
  info->set_continued_from_run_id(ms.continued_from_run_id());
  info->set_continued_as_run_id(ms.continued_as_run_id());
  std::vector<const internal::ActivityInfo*> acts;
  for (const auto& [id, ai] : ms.activities()) acts.push_back(&ai);
  std::sort(acts.begin(), acts.end(),
            [](auto* a, auto* b) { return a->scheduled_event_id() < b->scheduled_event_id(); });
  for (const auto* ai : acts) {
    auto* p = resp.add_pending_activities();
    p->set_activity_id(ai->activity_id());
    *p->mutable_activity_type() = ai->activity_type();
    p->set_state(ai->cancel_requested()  ? "CANCEL_REQUESTED"
                 : ai->held_by_breaker() ? "BREAKER_OPEN"
                 : ai->in_backoff()      ? "BACKOFF"
                 : ai->started()         ? "STARTED"
                                         : "SCHEDULED");
    p->set_attempt(ai->attempt());
    p->set_maximum_attempts(ai->retry_policy().maximum_attempts());
    *p->mutable_scheduled_time() = ai->scheduled_time();
    if (ai->has_started_time()) *p->mutable_last_started_time() = ai->started_time();
    if (ai->has_last_heartbeat_time())
      *p->mutable_last_heartbeat_time() = ai->last_heartbeat_time();
    if (ai->has_last_failure()) *p->mutable_last_failure() = ai->last_failure();
    p->set_last_worker_identity(ai->started_identity());
    if (ai->has_heartbeat_details()) *p->mutable_heartbeat_details() = ai->heartbeat_details();
  }
  for (const auto& [id, ti] : ms.timers()) {
    auto* p = resp.add_pending_timers();
    p->set_timer_id(ti.timer_id());
    *p->mutable_fire_time() = ti.fire_time();
  }
  DescribeChildren(ms, &resp);
  return resp;
}

// ListWorkflowExecutions and CountWorkflowExecutions: visibility_handlers.cc.

absl::StatusOr<internal::TaskToken> HistoryEngine::DecodeToken(const std::string& token,
                                                               internal::TaskKind kind) {
  internal::TaskToken t;
  if (token.empty() || !t.ParseFromString(token) || t.kind() != kind || t.workflow_id().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("task_token is not a valid ",
                     kind == internal::TASK_KIND_WORKFLOW ? "workflow" : "activity",
                     " task token: pass back the token from the poll response unchanged"));
  }
  return t;
}

}  // namespace weft::history
