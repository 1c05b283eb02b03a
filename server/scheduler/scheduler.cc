#include "server/scheduler/scheduler.h"

#include <algorithm>
#include <iostream>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/common/logging.h"
#include "server/common/proto_time.h"

namespace weft::scheduler {
namespace {

constexpr char kKeyPrefix[] = "schedule/";
constexpr int kMaxRecentActions = 10;
constexpr int kFutureActionTimes = 5;
// Bounds the work of one pass over one schedule (a long downtime of a 1 s schedule): the
// rest is done in the next pass, right after.
constexpr int kMaxTimesPerPass = 10000;
constexpr int kMaxBackfillActions = 1000;
constexpr int kMaxListPageSize = 1000;

bool Retryable(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsAborted(s) || absl::IsDeadlineExceeded(s) ||
         absl::IsResourceExhausted(s) || absl::IsInternal(s) || absl::IsCancelled(s);
}

api::v1::ScheduleOverlapPolicy EffectivePolicy(api::v1::ScheduleOverlapPolicy p) {
  return p == api::v1::SCHEDULE_OVERLAP_POLICY_UNSPECIFIED ? api::v1::SCHEDULE_OVERLAP_POLICY_SKIP
                                                           : p;
}

bool ClosedBadly(api::v1::WorkflowExecutionStatus s) {
  return s == api::v1::WORKFLOW_EXECUTION_STATUS_FAILED ||
         s == api::v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT;
}

std::string StatusWord(api::v1::WorkflowExecutionStatus s) {
  std::string name = api::v1::WorkflowExecutionStatus_Name(s);
  constexpr std::string_view kPrefix = "WORKFLOW_EXECUTION_STATUS_";
  if (name.rfind(kPrefix, 0) == 0) name = name.substr(kPrefix.size());
  return name;
}

history::NamespaceRef NamespaceOf(const internal::ScheduleRecord& rec) {
  history::NamespaceRef ns;
  ns.id = rec.namespace_id();
  ns.name = rec.namespace_name();
  return ns;
}

std::string TokenString(int64_t token) { return absl::StrCat(token); }

}  // namespace

Scheduler::Scheduler(storage::Store* store, history::HistoryClient* history, const Clock* clock,
                     Metrics* metrics, Options options)
    : store_(store),
      history_(history),
      clock_(clock),
      metrics_(metrics),
      options_(std::move(options)),
      committer_(store, storage::GroupCommitter::Options{"scheduler", nullptr}) {}

Scheduler::~Scheduler() { Stop(); }

std::string Scheduler::Key(const std::string& namespace_id, const std::string& schedule_id) {
  return absl::StrCat(kKeyPrefix, namespace_id, "/", schedule_id);
}

absl::Status Scheduler::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status bad;
  auto st = store_->ScanPrefix(
      storage::Cf::kMeta, kKeyPrefix, [&](std::string_view key, std::string_view value) {
        Entry e;
        if (!e.rec.ParseFromString(std::string(value))) {
          bad = absl::DataLossError(absl::StrCat("corrupt schedule record ", std::string(key)));
          return false;
        }
        auto spec = CompiledSpec::Compile(e.rec.schedule().spec());
        if (!spec.ok()) {
          // Validated when written; a record that no longer compiles is kept but never runs.
          logs::Scheduler().Warn(
              "schedule is not runnable; kept but never run",
              {{"schedule_id", e.rec.schedule_id()}, {"error", spec.status().message()}});
          return true;
        }
        e.spec = std::move(*spec);
        entries_.emplace(std::string(key), std::move(e));
        return true;
      });
  if (!st.ok()) return st;
  return bad;
}

void Scheduler::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (runner_.joinable() || stopping_) return;
  runner_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      lock.unlock();
      absl::Time wake = RunOnce();
      lock.lock();
      if (stopping_) break;
      if (kicked_) {
        kicked_ = false;
        continue;
      }
      // The clock may jump (or be a test's): look again at least once a minute.
      absl::Duration wait =
          std::clamp(wake - clock_->Now(), absl::ZeroDuration(), absl::Minutes(1));
      if (wait == absl::ZeroDuration()) continue;
      cv_.wait_for(lock, absl::ToChronoNanoseconds(wait), [this] { return stopping_ || kicked_; });
      kicked_ = false;
    }
  });
}

void Scheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (runner_.joinable()) runner_.join();
}

void Scheduler::Kick() {
  kicked_ = true;
  cv_.notify_all();
}

void Scheduler::Count(const Entry& e, const char* outcome) {
  if (metrics_) metrics_->ScheduleAction(e.rec.namespace_name(), outcome);
}

absl::Status Scheduler::Persist(Entry& e) {
  storage::Batch batch;
  batch.Put(storage::Cf::kMeta, Key(e.rec.namespace_id(), e.rec.schedule_id()),
            e.rec.SerializeAsString());
  auto s = committer_.Commit(std::move(batch));
  if (s.ok()) e.dirty = false;
  return s;
}

Scheduler::Entry* Scheduler::Find(const history::NamespaceRef& ns, const std::string& schedule_id) {
  auto it = entries_.find(Key(ns.id, schedule_id));
  return it == entries_.end() ? nullptr : &it->second;
}

// ---- validation ----

absl::Status Scheduler::Validate(const api::v1::Schedule& schedule) {
  if (!schedule.has_spec()) {
    return absl::InvalidArgumentError(
        "schedule.spec is required: give at least one cron expression or interval");
  }
  auto spec = CompiledSpec::Compile(schedule.spec());
  if (!spec.ok()) return spec.status();
  if (!schedule.has_action() || !schedule.action().has_start_workflow()) {
    return absl::InvalidArgumentError(
        "schedule.action is required: start_workflow with a workflow type and task queue");
  }
  const auto& wf = schedule.action().start_workflow();
  if (wf.workflow_type().name().empty()) {
    return absl::InvalidArgumentError("schedule.action.start_workflow.workflow_type is required");
  }
  if (wf.task_queue().name().empty()) {
    return absl::InvalidArgumentError("schedule.action.start_workflow.task_queue is required");
  }
  const auto& p = schedule.policies();
  if (!api::v1::ScheduleOverlapPolicy_IsValid(p.overlap_policy())) {
    return absl::InvalidArgumentError(
        absl::StrCat("schedule.policies.overlap_policy ", p.overlap_policy(), " is not a policy"));
  }
  if (FromProto(p.catchup_window()) < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("schedule.policies.catchup_window must not be negative");
  }
  if (schedule.state().remaining_actions() < 0) {
    return absl::InvalidArgumentError("schedule.state.remaining_actions must not be negative");
  }
  return absl::OkStatus();
}

// ---- RPCs ----

absl::Status Scheduler::Create(const history::NamespaceRef& ns,
                               const api::v1::CreateScheduleRequest& req) {
  if (req.schedule_id().empty()) return absl::InvalidArgumentError("schedule_id is required");
  if (!req.has_schedule()) return absl::InvalidArgumentError("schedule is required");
  std::lock_guard<std::mutex> lock(mu_);
  if (Entry* existing = Find(ns, req.schedule_id())) {
    if (!req.request_id().empty() && existing->rec.create_request_id() == req.request_id()) {
      return absl::OkStatus();  // a retried create
    }
    return absl::AlreadyExistsError(absl::StrCat("schedule \"", req.schedule_id(),
                                                 "\" already exists in namespace \"", ns.name,
                                                 "\" (delete it first, or update it)"));
  }
  if (auto s = Validate(req.schedule()); !s.ok()) return s;
  auto spec = CompiledSpec::Compile(req.schedule().spec());
  if (!spec.ok()) return spec.status();
  const absl::Time now = clock_->Now();
  Entry e;
  e.spec = std::move(*spec);
  auto& r = e.rec;
  r.set_namespace_id(ns.id);
  r.set_namespace_name(ns.name);
  r.set_schedule_id(req.schedule_id());
  *r.mutable_schedule() = req.schedule();
  *r.mutable_memo() = req.memo();
  *r.mutable_info()->mutable_create_time() = ToProto(now);
  *r.mutable_info()->mutable_update_time() = ToProto(now);
  *r.mutable_processed_until() = ToProto(now);
  r.set_conflict_token(1);
  r.set_create_request_id(req.request_id());
  if (auto s = Persist(e); !s.ok()) return s;
  entries_.emplace(Key(ns.id, req.schedule_id()), std::move(e));
  Kick();
  return absl::OkStatus();
}

absl::StatusOr<api::v1::DescribeScheduleResponse> Scheduler::Describe(
    const history::NamespaceRef& ns, const std::string& schedule_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry* e = Find(ns, schedule_id);
  if (e == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("schedule \"", schedule_id, "\" not found in namespace \"", ns.name, "\""));
  }
  const absl::Time now = clock_->Now();
  if (e->rec.info().running_workflows_size() > 0 &&
      now - e->last_check >= options_.recheck_interval) {
    RefreshRunningLocked(*e, now);
    if (e->dirty) Kick();  // the runner persists it (and starts what was buffered)
  }
  api::v1::DescribeScheduleResponse resp;
  *resp.mutable_schedule() = e->rec.schedule();
  FillInfoLocked(*e, now, resp.mutable_info());
  *resp.mutable_memo() = e->rec.memo();
  resp.set_conflict_token(TokenString(e->rec.conflict_token()));
  return resp;
}

void Scheduler::FillInfoLocked(const Entry& e, absl::Time now, api::v1::ScheduleInfo* info) const {
  *info = e.rec.info();
  info->set_buffer_size(e.rec.buffered_times_size());
  info->clear_future_action_times();
  const auto& state = e.rec.schedule().state();
  if (state.paused() || (state.limited_actions() && state.remaining_actions() <= 0)) return;
  absl::Time from = std::max(FromProto(e.rec.processed_until()), now);
  int n = kFutureActionTimes;
  if (state.limited_actions())
    n = static_cast<int>(std::min<int64_t>(n, state.remaining_actions()));
  for (absl::Time t : e.spec.FutureDueTimes(e.rec.schedule_id(), from, n)) {
    *info->add_future_action_times() = ToProto(t);
  }
}

absl::Status Scheduler::Update(const history::NamespaceRef& ns,
                               const api::v1::UpdateScheduleRequest& req) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry* e = Find(ns, req.schedule_id());
  if (e == nullptr) {
    return absl::NotFoundError(absl::StrCat("schedule \"", req.schedule_id(),
                                            "\" not found in namespace \"", ns.name, "\""));
  }
  if (!req.conflict_token().empty() &&
      req.conflict_token() != TokenString(e->rec.conflict_token())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "schedule \"", req.schedule_id(), "\" changed since it was read (conflict token ",
        req.conflict_token(), ", now ", e->rec.conflict_token(), "): describe it again and retry"));
  }
  if (!req.has_schedule()) return absl::InvalidArgumentError("schedule is required");
  if (auto s = Validate(req.schedule()); !s.ok()) return s;
  auto spec = CompiledSpec::Compile(req.schedule().spec());
  if (!spec.ok()) return spec.status();
  const absl::Time now = clock_->Now();
  Entry updated = *e;
  updated.spec = std::move(*spec);
  *updated.rec.mutable_schedule() = req.schedule();
  // The new spec applies from now on: times it would have had in the past are not taken.
  if (FromProto(updated.rec.processed_until()) < now) {
    *updated.rec.mutable_processed_until() = ToProto(now);
  }
  updated.rec.set_conflict_token(e->rec.conflict_token() + 1);
  *updated.rec.mutable_info()->mutable_update_time() = ToProto(now);
  if (auto s = Persist(updated); !s.ok()) return s;
  *e = std::move(updated);
  Kick();
  return absl::OkStatus();
}

absl::Status Scheduler::Patch(const history::NamespaceRef& ns,
                              const api::v1::PatchScheduleRequest& req) {
  const auto& patch = req.patch();
  if (!patch.pause().empty() && !patch.unpause().empty()) {
    return absl::InvalidArgumentError("patch.pause and patch.unpause cannot both be set");
  }
  for (const auto& b : patch.backfill_request()) {
    if (!b.has_start_time() || !b.has_end_time()) {
      return absl::InvalidArgumentError("backfill needs start_time and end_time");
    }
    if (FromProto(b.end_time()) < FromProto(b.start_time())) {
      return absl::InvalidArgumentError("backfill end_time is before its start_time");
    }
    if (!api::v1::ScheduleOverlapPolicy_IsValid(b.overlap_policy())) {
      return absl::InvalidArgumentError("backfill overlap_policy is not a policy");
    }
  }
  if (patch.has_trigger_immediately() &&
      !api::v1::ScheduleOverlapPolicy_IsValid(patch.trigger_immediately().overlap_policy())) {
    return absl::InvalidArgumentError("trigger_immediately.overlap_policy is not a policy");
  }
  std::lock_guard<std::mutex> lock(mu_);
  Entry* e = Find(ns, req.schedule_id());
  if (e == nullptr) {
    return absl::NotFoundError(absl::StrCat("schedule \"", req.schedule_id(),
                                            "\" not found in namespace \"", ns.name, "\""));
  }
  const absl::Time now = clock_->Now();
  // Count the backfill before anything happens, so a too-large one changes nothing.
  std::vector<std::pair<absl::Time, api::v1::ScheduleOverlapPolicy>> backfill;
  for (const auto& b : patch.backfill_request()) {
    auto policy = b.overlap_policy() == api::v1::SCHEDULE_OVERLAP_POLICY_UNSPECIFIED
                      ? e->rec.schedule().policies().overlap_policy()
                      : b.overlap_policy();
    const absl::Time end = FromProto(b.end_time());
    for (absl::Time t = e->spec.NextNominal(FromProto(b.start_time()) - absl::Nanoseconds(1));
         t <= end; t = e->spec.NextNominal(t)) {
      if (static_cast<int>(backfill.size()) >= kMaxBackfillActions) {
        return absl::InvalidArgumentError(absl::StrCat(
            "backfill covers more than ", kMaxBackfillActions, " actions: split the time range"));
      }
      backfill.emplace_back(t, EffectivePolicy(policy));
    }
  }
  auto* state = e->rec.mutable_schedule()->mutable_state();
  bool changed_state = false;
  if (!patch.pause().empty()) {
    state->set_paused(true);
    state->set_notes(patch.pause());
    changed_state = true;
  }
  if (!patch.unpause().empty()) {
    state->set_paused(false);
    state->set_notes(patch.unpause());
    // Times that passed while paused are not caught up.
    if (FromProto(e->rec.processed_until()) < now) {
      *e->rec.mutable_processed_until() = ToProto(now);
    }
    changed_state = true;
  }
  if (changed_state) {
    e->rec.set_conflict_token(e->rec.conflict_token() + 1);
    *e->rec.mutable_info()->mutable_update_time() = ToProto(now);
    e->dirty = true;
  }
  absl::Status result;
  if (patch.has_trigger_immediately()) {
    auto policy = patch.trigger_immediately().overlap_policy();
    if (policy == api::v1::SCHEDULE_OVERLAP_POLICY_UNSPECIFIED) {
      policy = e->rec.schedule().policies().overlap_policy();
    }
    // Millisecond precision keeps the workflow id readable; two triggers within one
    // millisecond still get distinct times (and so distinct workflows).
    absl::Time t = absl::UnixEpoch() + absl::Floor(now - absl::UnixEpoch(), absl::Milliseconds(1));
    for (bool taken = true; taken;) {
      taken = false;
      for (const auto& a : e->rec.info().recent_actions()) {
        if (FromProto(a.schedule_time()) == t) taken = true;
      }
      if (taken) t += absl::Milliseconds(1);
    }
    result = TakeActionLocked(*e, t, now, EffectivePolicy(policy), /*manual=*/true);
  }
  for (const auto& [t, policy] : backfill) {
    if (!result.ok()) break;
    result = TakeActionLocked(*e, t, now, policy, /*manual=*/true);
  }
  if (e->dirty) {
    if (auto s = Persist(*e); !s.ok()) return s;
  }
  Kick();
  return result;
}

absl::Status Scheduler::Delete(const history::NamespaceRef& ns, const std::string& schedule_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(Key(ns.id, schedule_id));
  if (it == entries_.end()) {
    return absl::NotFoundError(
        absl::StrCat("schedule \"", schedule_id, "\" not found in namespace \"", ns.name, "\""));
  }
  storage::Batch batch;
  batch.Delete(storage::Cf::kMeta, it->first);
  if (auto s = committer_.Commit(std::move(batch)); !s.ok()) return s;
  entries_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<api::v1::ListSchedulesResponse> Scheduler::List(
    const history::NamespaceRef& ns, const api::v1::ListSchedulesRequest& req) {
  int page = req.maximum_page_size() <= 0 ? 100 : req.maximum_page_size();
  page = std::min(page, kMaxListPageSize);
  const std::string prefix = Key(ns.id, "");
  std::string start = prefix;
  if (!req.next_page_token().empty()) {
    if (req.next_page_token().rfind(prefix, 0) != 0) {
      return absl::InvalidArgumentError(
          "next_page_token does not belong to this namespace's schedule list");
    }
    start = req.next_page_token();
  }
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time now = clock_->Now();
  api::v1::ListSchedulesResponse resp;
  auto it =
      req.next_page_token().empty() ? entries_.lower_bound(start) : entries_.upper_bound(start);
  for (; it != entries_.end() && it->first.rfind(prefix, 0) == 0; ++it) {
    if (resp.schedules_size() == page) {
      resp.set_next_page_token(std::prev(it)->first);
      break;
    }
    const Entry& e = it->second;
    auto* out = resp.add_schedules();
    out->set_schedule_id(e.rec.schedule_id());
    *out->mutable_memo() = e.rec.memo();
    *out->mutable_spec() = e.rec.schedule().spec();
    *out->mutable_workflow_type() = e.rec.schedule().action().start_workflow().workflow_type();
    out->set_notes(e.rec.schedule().state().notes());
    out->set_paused(e.rec.schedule().state().paused());
    *out->mutable_recent_actions() = e.rec.info().recent_actions();
    api::v1::ScheduleInfo info;
    FillInfoLocked(e, now, &info);
    *out->mutable_future_action_times() = info.future_action_times();
  }
  return resp;
}

// ---- the runner ----

absl::Time Scheduler::RunOnce() {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Time wake = absl::InfiniteFuture();
  for (auto& [key, e] : entries_) {
    absl::Time now = clock_->Now();
    absl::Time next = ProcessLocked(e, now);
    if (e.dirty) {
      if (auto s = Persist(e); !s.ok()) {
        logs::Scheduler().Warn("cannot persist schedule, will retry",
                               {{"schedule_id", e.rec.schedule_id()},
                                {"code", absl::StatusCodeToString(s.code())},
                                {"error", s.message()}});
        next = std::min(next, now + options_.retry_interval);
      }
    }
    wake = std::min(wake, next);
  }
  return wake;
}

absl::Time Scheduler::ProcessLocked(Entry& e, absl::Time now) {
  auto& rec = e.rec;
  if (now < e.retry_at) return e.retry_at;
  absl::Time wake = absl::InfiniteFuture();
  // Workflows that closed free the way for buffered actions.
  if (rec.buffered_times_size() > 0 || rec.schedule().policies().pause_on_failure()) {
    if (rec.info().running_workflows_size() > 0 &&
        now - e.last_check >= options_.recheck_interval) {
      RefreshRunningLocked(e, now);
    }
  }
  if (auto s = DrainBufferLocked(e, now); !s.ok()) {
    e.retry_at = now + options_.retry_interval;
    return e.retry_at;
  }
  const auto& state = rec.schedule().state();
  const auto& policies = rec.schedule().policies();
  absl::Duration catchup = policies.has_catchup_window() ? FromProto(policies.catchup_window())
                                                         : options_.default_catchup_window;
  const auto policy = EffectivePolicy(policies.overlap_policy());
  absl::Time processed = FromProto(rec.processed_until());
  for (int i = 0;; ++i) {
    if (i == kMaxTimesPerPass) {
      wake = now;  // more to do: the next pass goes on at once
      break;
    }
    if (state.paused() || (state.limited_actions() && state.remaining_actions() <= 0)) {
      // Nothing is taken, and nothing is caught up later either.
      if (processed < now) {
        processed = now;
        e.dirty = true;
      }
      break;
    }
    const absl::Time t = e.spec.NextNominal(processed);
    if (t == absl::InfiniteFuture()) break;
    const absl::Time due = e.spec.DueTime(rec.schedule_id(), t);
    if (due > now) {
      wake = due;
      break;
    }
    if (now - due > catchup) {
      rec.mutable_info()->set_missed_catchup_window(rec.info().missed_catchup_window() + 1);
      Count(e, "missed");
    } else if (auto s = TakeActionLocked(e, t, now, policy, /*manual=*/false); !s.ok()) {
      logs::Scheduler().Warn("schedule action failed, will retry",
                             {{"schedule_id", rec.schedule_id()},
                              {"action_time", FormatScheduleTime(t)},
                              {"code", absl::StatusCodeToString(s.code())},
                              {"error", s.message()}});
      e.retry_at = now + options_.retry_interval;
      wake = e.retry_at;
      break;
    }
    processed = t;
    e.dirty = true;
  }
  if (processed > FromProto(rec.processed_until())) {
    *rec.mutable_processed_until() = ToProto(processed);
  }
  if (rec.info().running_workflows_size() > 0 &&
      (rec.buffered_times_size() > 0 || rec.schedule().policies().pause_on_failure())) {
    wake = std::min(wake, std::max(now, e.last_check) + options_.recheck_interval);
  }
  return wake;
}

void Scheduler::RefreshRunningLocked(Entry& e, absl::Time now) {
  auto* info = e.rec.mutable_info();
  const history::NamespaceRef ns = NamespaceOf(e.rec);
  google::protobuf::RepeatedPtrField<api::v1::WorkflowExecution> still_running;
  for (const auto& wf : info->running_workflows()) {
    // The current run of the id: a run that continued as new is followed to its successor.
    api::v1::WorkflowExecution current;
    current.set_workflow_id(wf.workflow_id());
    auto d = history_->DescribeWorkflowExecution(ns, current);
    if (!d.ok()) {
      if (!absl::IsNotFound(d.status()))
        *still_running.Add() = wf;  // try again later
      else
        e.dirty = true;
      continue;
    }
    const auto status = d->workflow_execution_info().status();
    for (auto& a : *info->mutable_recent_actions()) {
      if (a.start_workflow_result().workflow_id() == wf.workflow_id()) {
        a.set_start_workflow_status(status);
      }
    }
    if (status == api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING) {
      *still_running.Add() = wf;
      continue;
    }
    e.dirty = true;
    if (ClosedBadly(status) && e.rec.schedule().policies().pause_on_failure() &&
        !e.rec.schedule().state().paused()) {
      auto* state = e.rec.mutable_schedule()->mutable_state();
      state->set_paused(true);
      state->set_notes(absl::StrCat("paused: workflow ", wf.workflow_id(), " ",
                                    absl::AsciiStrToLower(StatusWord(status))));
    }
  }
  *info->mutable_running_workflows() = std::move(still_running);
  e.last_check = now;
}

absl::Status Scheduler::DrainBufferLocked(Entry& e, absl::Time now) {
  auto& rec = e.rec;
  if (rec.schedule().state().paused()) return absl::OkStatus();
  while (rec.buffered_times_size() > 0 && rec.info().running_workflows_size() == 0) {
    const absl::Time t = FromProto(rec.buffered_times(0));
    if (auto s = StartLocked(e, t, now, /*manual=*/false); !s.ok()) return s;
    rec.mutable_buffered_times()->erase(rec.mutable_buffered_times()->begin());
    e.dirty = true;
  }
  return absl::OkStatus();
}

absl::Status Scheduler::TakeActionLocked(Entry& e, absl::Time t, absl::Time now,
                                         api::v1::ScheduleOverlapPolicy policy, bool manual) {
  auto& rec = e.rec;
  auto* info = rec.mutable_info();
  e.dirty = true;
  if (policy != api::v1::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL && info->running_workflows_size() > 0) {
    // The decision needs fresh facts: a run that closed a moment ago does not overlap.
    RefreshRunningLocked(e, now);
    if (auto s = DrainBufferLocked(e, now); !s.ok()) return s;
  }
  const bool busy = info->running_workflows_size() > 0 || rec.buffered_times_size() > 0;
  if (policy == api::v1::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL || !busy) {
    return StartLocked(e, t, now, manual);
  }
  const history::NamespaceRef ns = NamespaceOf(rec);
  switch (policy) {
    case api::v1::SCHEDULE_OVERLAP_POLICY_BUFFER_ONE:
      if (rec.buffered_times_size() >= 1) {
        info->set_buffer_dropped(info->buffer_dropped() + 1);
        Count(e, "buffer_dropped");
      } else {
        *rec.add_buffered_times() = ToProto(t);
        Count(e, "buffered");
      }
      return absl::OkStatus();
    case api::v1::SCHEDULE_OVERLAP_POLICY_BUFFER_ALL:
      *rec.add_buffered_times() = ToProto(t);
      Count(e, "buffered");
      return absl::OkStatus();
    case api::v1::SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER: {
      for (const auto& wf : info->running_workflows()) {
        api::v1::RequestCancelWorkflowExecutionRequest cancel;
        cancel.set_namespace_(rec.namespace_name());
        *cancel.mutable_workflow_execution() = wf;
        cancel.set_identity(options_.identity);
        cancel.set_reason(
            absl::StrCat("schedule ", rec.schedule_id(), ": overlap policy CANCEL_OTHER"));
        auto s = history_->RequestCancelWorkflowExecution(ns, cancel);
        if (!s.ok() && Retryable(s)) return s;
      }
      // Only the newest action waits for the cancelled run to close.
      if (rec.buffered_times_size() > 0) {
        info->set_buffer_dropped(info->buffer_dropped() + rec.buffered_times_size());
        Count(e, "buffer_dropped");
        rec.clear_buffered_times();
      }
      *rec.add_buffered_times() = ToProto(t);
      Count(e, "buffered");
      e.last_check = absl::InfinitePast();
      return absl::OkStatus();
    }
    case api::v1::SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER: {
      for (const auto& wf : info->running_workflows()) {
        api::v1::TerminateWorkflowExecutionRequest term;
        term.set_namespace_(rec.namespace_name());
        *term.mutable_workflow_execution() = wf;
        term.set_identity(options_.identity);
        term.set_reason(
            absl::StrCat("schedule ", rec.schedule_id(), ": overlap policy TERMINATE_OTHER"));
        auto s = history_->TerminateWorkflowExecution(ns, term);
        if (!s.ok() && Retryable(s)) return s;
      }
      RefreshRunningLocked(e, now);
      if (info->running_workflows_size() > 0) {
        return absl::UnavailableError("terminated workflows still show as running");
      }
      if (rec.buffered_times_size() > 0) {
        info->set_buffer_dropped(info->buffer_dropped() + rec.buffered_times_size());
        rec.clear_buffered_times();
      }
      return StartLocked(e, t, now, manual);
    }
    default:  // SKIP
      info->set_overlap_skipped(info->overlap_skipped() + 1);
      Count(e, "skipped");
      return absl::OkStatus();
  }
}

absl::Status Scheduler::StartLocked(Entry& e, absl::Time t, absl::Time now, bool manual) {
  auto& rec = e.rec;
  const auto& action = rec.schedule().action().start_workflow();
  const std::string base = action.workflow_id().empty() ? rec.schedule_id() : action.workflow_id();
  const std::string time = FormatScheduleTime(t);
  api::v1::StartWorkflowExecutionRequest req;
  req.set_namespace_(rec.namespace_name());
  req.set_workflow_id(absl::StrCat(base, "-", time));
  *req.mutable_workflow_type() = action.workflow_type();
  *req.mutable_task_queue() = action.task_queue();
  *req.mutable_input() = action.input();
  *req.mutable_workflow_execution_timeout() = action.workflow_execution_timeout();
  *req.mutable_workflow_run_timeout() = action.workflow_run_timeout();
  *req.mutable_workflow_task_timeout() = action.workflow_task_timeout();
  if (action.has_retry_policy()) *req.mutable_retry_policy() = action.retry_policy();
  *req.mutable_memo() = action.memo();
  *req.mutable_search_attributes() = action.search_attributes();
  req.set_identity(options_.identity);
  // Same schedule and time, same request id: a start retried after a crash finds its run.
  req.set_request_id(absl::StrCat("schedule/", rec.namespace_id(), "/", rec.schedule_id(), "/",
                                  absl::ToUnixNanos(t)));
  req.set_workflow_id_reuse_policy(api::v1::WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE);
  const history::NamespaceRef ns = NamespaceOf(rec);
  auto r = history_->StartWorkflowExecution(ns, req, nullptr);
  e.dirty = true;
  if (!r.ok()) {
    if (Retryable(r.status())) return r.status();
    // The id is taken by a run this schedule did not start for this time (or the action
    // cannot start at all): the action is dropped, not retried forever.
    logs::Scheduler().Warn("schedule action dropped: the workflow could not start",
                           {{"schedule_id", rec.schedule_id()},
                            {"workflow_id", req.workflow_id()},
                            {"code", absl::StatusCodeToString(r.status().code())},
                            {"error", r.status().message()}});
    return absl::OkStatus();
  }
  auto* info = rec.mutable_info();
  api::v1::WorkflowExecution exec;
  exec.set_workflow_id(req.workflow_id());
  exec.set_run_id(r->run_id());
  bool known = false;
  for (const auto& a : info->recent_actions()) {
    if (a.start_workflow_result().run_id() == exec.run_id()) known = true;
  }
  if (known) return absl::OkStatus();  // the same trigger twice in one millisecond
  info->set_action_count(info->action_count() + 1);
  Count(e, "taken");
  if (!manual && rec.schedule().state().limited_actions()) {
    auto* state = rec.mutable_schedule()->mutable_state();
    state->set_remaining_actions(std::max<int64_t>(0, state->remaining_actions() - 1));
  }
  *info->add_running_workflows() = exec;
  auto* a = info->add_recent_actions();
  *a->mutable_schedule_time() = ToProto(t);
  *a->mutable_actual_time() = ToProto(now);
  *a->mutable_start_workflow_result() = exec;
  a->set_start_workflow_status(api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  while (info->recent_actions_size() > kMaxRecentActions) {
    info->mutable_recent_actions()->erase(info->mutable_recent_actions()->begin());
  }
  return absl::OkStatus();
}

}  // namespace weft::scheduler
