#include "server/matching/matching_engine.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/common/logging.h"
#include "server/common/proto_time.h"
#include "storage/key_codec.h"

namespace weft::matching {
namespace {

const char* KindName(internal::TaskKind kind) {
  return kind == internal::TASK_KIND_WORKFLOW ? "workflow" : "activity";
}

// The priority a task is queued at: unset means the default; anything out of range (only
// possible from a caller that skipped validation) is clamped rather than lost.
int EffectivePriority(int32_t priority) {
  if (priority == 0) return kDefaultPriority;
  return std::clamp(priority, kHighestPriority, kLowestPriority);
}

}  // namespace

MatchingEngine::MatchingEngine(storage::Store* store, Metrics* metrics, const Clock* clock)
    : store_(store), metrics_(metrics), clock_(clock != nullptr ? clock : &system_clock_) {}

MatchingEngine::~MatchingEngine() { Shutdown(); }

std::string MatchingEngine::BacklogKey(const TaskQueueId& id, int priority,
                                       uint64_t task_id) const {
  return storage::KeyBuilder()
      .Str(id.namespace_id)
      .Str(id.name)
      .U32(static_cast<uint32_t>(id.kind))
      .U32(static_cast<uint32_t>(priority))
      .U64(task_id)
      .Done();
}

MatchingEngine::Queue& MatchingEngine::GetQueue(const TaskQueueId& id) {
  auto& q = queues_[Key{id.namespace_id, id.name, static_cast<int>(id.kind)}];
  if (!q) q = std::make_unique<Queue>();
  return *q;
}

void MatchingEngine::ReportBacklog(const TaskQueueId& id, const Queue& q) {
  if (metrics_) {
    const std::string& ns = id.namespace_name.empty() ? id.namespace_id : id.namespace_name;
    metrics_->SetBacklog(ns, id.name, KindName(id.kind),
                         static_cast<double>(q.backlog.size() + q.in_flight_total));
    metrics_->SetPollers(ns, id.name, KindName(id.kind), static_cast<double>(q.waiters.size()));
  }
}

void MatchingEngine::ExpirePollers(Queue& q, absl::Time now) {
  for (auto it = q.pollers.begin(); it != q.pollers.end();) {
    if (now - it->second.last_access > kPollerExpiry) {
      it = q.pollers.erase(it);
    } else {
      ++it;
    }
  }
}

void MatchingEngine::NotePoller(Queue& q, const PollerInfo& poller, absl::Time now) {
  PollerState& p = q.pollers[poller.identity];
  p.last_access = now;
  p.rate = poller.max_tasks_per_second > 0 ? poller.max_tasks_per_second : 0;
  ExpirePollers(q, now);
  double rate = 0;
  for (const auto& [identity, state] : q.pollers) {
    if (state.rate > 0 && (rate == 0 || state.rate < rate)) rate = state.rate;
  }
  if (rate != q.limiter.rate()) {
    q.limiter.SetRate(rate, now);
    // Pollers waiting for a token under the old rate look again.
    while (!q.waiters.empty()) WakeOnePoller(q);
  }
}

absl::Status MatchingEngine::Recover() {
  uint64_t max_id = 0;
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status parse_error;
  storage::Batch migrate;  // rows in the key format without a priority, rewritten
  size_t migrated = 0;
  absl::Status s = store_->Scan(
      storage::Cf::kTaskQueues, "", "", [&](std::string_view key, std::string_view value) {
        storage::KeyReader r(key);
        auto ns = r.Str();
        auto name = r.Str();
        auto kind = r.U32();
        // New rows: ..., kind, priority (4 bytes), task_id (8 bytes). Rows written before
        // priorities existed end with the task id right after the kind.
        storage::KeyReader old_format = r;
        std::optional<uint32_t> priority;
        std::optional<uint64_t> task_id = old_format.U64();
        bool is_old = task_id.has_value() && old_format.AtEnd();
        if (!is_old) {
          priority = r.U32();
          task_id = r.U64();
          if (!r.AtEnd()) task_id.reset();
        }
        internal::BacklogTask task;
        if (!ns || !name || !kind || !task_id ||
            !task.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse_error = absl::DataLossError("corrupt task_queues record");
          return false;
        }
        TaskQueueId id{*ns, *name, static_cast<internal::TaskKind>(*kind), task.namespace_name()};
        int prio = EffectivePriority(is_old ? task.priority() : static_cast<int32_t>(*priority));
        if (is_old) {
          task.set_priority(prio);
          migrate.Delete(storage::Cf::kTaskQueues, std::string(key));
          migrate.Put(storage::Cf::kTaskQueues, BacklogKey(id, prio, *task_id),
                      task.SerializeAsString());
          ++migrated;
        }
        Queue& q = GetQueue(id);
        q.backlog.emplace(std::make_pair(prio, *task_id), std::move(task));
        max_id = std::max(max_id, *task_id);
        ReportBacklog(id, q);
        return true;
      });
  if (!s.ok()) return s;
  if (!parse_error.ok()) return parse_error;
  if (migrated > 0) {
    // One atomic batch: each row is either in the old format or the new one, never both.
    if (auto w = store_->Write(migrate, /*sync=*/true); !w.ok()) return w;
  }
  next_task_id_ = max_id + 1;
  return absl::OkStatus();
}

void MatchingEngine::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = true;
  for (auto& [key, q] : queues_) {
    for (Waiter* w : q->waiters) {
      w->woken = true;
      w->cv.notify_one();
    }
    q->waiters.clear();
  }
}

void MatchingEngine::WakeOnePoller(Queue& q) {
  if (q.waiters.empty()) return;
  Waiter* w = q.waiters.front();
  q.waiters.pop_front();
  w->woken = true;
  w->cv.notify_one();
}

bool MatchingEngine::TrySyncMatch(Queue& q, const internal::BacklogTask& task,
                                  std::unique_lock<std::mutex>& lock) {
  while (!q.waiters.empty() && !shutdown_) {
    Waiter* w = q.waiters.front();
    q.waiters.pop_front();
    auto handoff = std::make_shared<Handoff>();
    w->task = task;
    w->handoff = handoff;
    w->woken = true;
    w->cv.notify_one();
    handoff->cv.wait(lock, [&] { return handoff->settled; });
    if (handoff->consumed) return true;
    // That poller could not take it (its caller went away): try the next one.
  }
  return false;
}

absl::Status MatchingEngine::AddTask(const TaskQueueId& queue,
                                     const internal::BacklogTask& offered) {
  const bool is_query = !offered.query_id().empty();
  internal::BacklogTask task = offered;
  if (!is_query) task.set_priority(EffectivePriority(task.priority()));
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (shutdown_) return absl::UnavailableError("matching is shutting down");
    Queue& q = GetQueue(queue);
    // A waiting backlog (held back by the rate limit) goes first, in priority order; a sync
    // match spends a token like any other dispatch. Queries are neither ordered nor limited.
    bool may_sync =
        is_query || (q.backlog.empty() && !q.waiters.empty() && q.limiter.TryTake(clock_->Now()));
    if (may_sync && TrySyncMatch(q, task, lock)) {
      logs::Matching().Trace("task handed to a waiting poller",
                             {{"task_queue", queue.name},
                              {"kind", KindName(queue.kind)},
                              {"workflow_id", task.workflow_id()},
                              {"run_id", task.run_id()},
                              {"query", is_query}});
      if (!is_query) ++q.dispatched;
      if (metrics_) metrics_->RecordDispatch(queue.namespace_name, KindName(queue.kind), true);
      return absl::OkStatus();
    }
    if (is_query) {
      // A query lives only as long as its caller waits: memory only, never the backlog's disk.
      q.queries.push_back(task);
      WakeOnePoller(q);
      return absl::OkStatus();
    }
  }
  // No poller: write the task to the backlog, outside the lock. No fsync of its own: the
  // caller deletes its transfer task only after this, so if a power failure lost this write
  // it lost that later delete too, and the task is dispatched again after recovery.
  uint64_t id = next_task_id_++;
  storage::Batch b;
  b.Put(storage::Cf::kTaskQueues, BacklogKey(queue, task.priority(), id), task.SerializeAsString());
  absl::Status s = store_->Write(b, /*sync=*/false);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  Queue& q = GetQueue(queue);
  logs::Matching().Trace("task added to the backlog", {{"task_queue", queue.name},
                                                       {"kind", KindName(queue.kind)},
                                                       {"workflow_id", task.workflow_id()},
                                                       {"run_id", task.run_id()},
                                                       {"backlog", q.backlog.size() + 1}});
  q.backlog.emplace(std::make_pair(task.priority(), id), std::move(task));
  ReportBacklog(queue, q);
  if (metrics_) metrics_->RecordDispatch(queue.namespace_name, KindName(queue.kind), false);
  WakeOnePoller(q);  // one that arrived while we wrote takes it from the backlog
  return absl::OkStatus();
}

absl::StatusOr<std::optional<PolledTask>> MatchingEngine::PollTask(
    const TaskQueueId& queue, const PollerInfo& poller, absl::Time deadline,
    const std::function<bool()>& cancelled) {
  std::unique_lock<std::mutex> lock(mu_);
  Queue& q = GetQueue(queue);
  NotePoller(q, poller, clock_->Now());
  bool throttled = false;
  for (;;) {
    if (shutdown_) return absl::UnavailableError("matching is shutting down");
    absl::Time now = clock_->Now();
    if (!q.queries.empty()) {
      auto receipt = std::make_shared<Receipt>();
      receipt->query = true;
      internal::BacklogTask task = std::move(q.queries.front());
      q.queries.pop_front();
      return std::optional<PolledTask>(PolledTask{std::move(task), receipt});
    }
    absl::Time wake_at = deadline;
    if (!q.backlog.empty()) {
      if (q.limiter.TryTake(now)) {
        auto first = q.backlog.begin();
        auto receipt = std::make_shared<Receipt>();
        receipt->priority = first->first.first;
        receipt->backlog_id = first->first.second;
        internal::BacklogTask task = std::move(first->second);
        q.backlog.erase(first);
        ++q.in_flight[receipt->priority];
        ++q.in_flight_total;
        return std::optional<PolledTask>(PolledTask{std::move(task), receipt});
      }
      // Tasks wait, but the queue's rate limit says not yet: wait for the next token.
      wake_at = std::min(deadline, q.limiter.NextTokenTime(now));
      if (!throttled) {
        throttled = true;
        if (metrics_) {
          const std::string& ns =
              queue.namespace_name.empty() ? queue.namespace_id : queue.namespace_name;
          metrics_->RecordDispatchThrottled(ns, queue.name, KindName(queue.kind));
        }
      }
    }
    if (now >= deadline) return std::optional<PolledTask>();
    Waiter w;
    auto it = q.waiters.insert(q.waiters.end(), &w);
    while (!w.woken) {
      now = clock_->Now();
      if (now >= wake_at || (cancelled && cancelled())) break;
      absl::Duration wait = std::min(wake_at - now, absl::Milliseconds(200));
      w.cv.wait_for(lock, absl::ToChronoNanoseconds(wait));
    }
    if (!w.woken) {
      q.waiters.erase(it);
      if (cancelled && cancelled()) return absl::CancelledError("poll cancelled by the caller");
      continue;  // the deadline passed (answered above) or a token is due
    }
    if (w.task) {
      auto receipt = std::make_shared<Receipt>();
      receipt->handoff = std::move(w.handoff);
      return std::optional<PolledTask>(PolledTask{std::move(*w.task), receipt});
    }
    // Woken for a backlog task (or shutdown): look again.
  }
}

void MatchingEngine::AckTask(const TaskQueueId& queue, const PolledTask& polled, bool consumed) {
  auto* receipt = static_cast<Receipt*>(polled.receipt.get());
  if (receipt == nullptr) return;
  if (receipt->handoff) {
    std::lock_guard<std::mutex> lock(mu_);
    receipt->handoff->settled = true;
    receipt->handoff->consumed = consumed;
    receipt->handoff->cv.notify_all();
    return;
  }
  if (receipt->query) {
    if (consumed) return;
    std::lock_guard<std::mutex> lock(mu_);
    Queue& q = GetQueue(queue);
    q.queries.push_front(polled.task);
    WakeOnePoller(q);
    return;
  }
  if (consumed) {
    // History has it (started, synced); a lost delete would only mean a harmless duplicate
    // after a crash, so it need not pay an fsync.
    storage::Batch b;
    b.Delete(storage::Cf::kTaskQueues, BacklogKey(queue, receipt->priority, receipt->backlog_id));
    (void)store_->Write(b, /*sync=*/false);
  }
  std::lock_guard<std::mutex> lock(mu_);
  Queue& q = GetQueue(queue);
  if (--q.in_flight[receipt->priority] == 0) q.in_flight.erase(receipt->priority);
  --q.in_flight_total;
  if (consumed) {
    ++q.dispatched;
  } else {
    // Back in its place: ahead of the later tasks of its priority.
    q.backlog.emplace(std::make_pair(receipt->priority, receipt->backlog_id), polled.task);
    WakeOnePoller(q);
  }
  ReportBacklog(queue, q);
}

absl::StatusOr<api::v1::DescribeTaskQueueResponse> MatchingEngine::DescribeTaskQueue(
    const TaskQueueId& queue) {
  api::v1::DescribeTaskQueueResponse resp;
  std::lock_guard<std::mutex> lock(mu_);
  auto found = queues_.find(Key{queue.namespace_id, queue.name, static_cast<int>(queue.kind)});
  if (found == queues_.end()) return resp;  // never seen: nothing to tell, as Temporal
  Queue& q = *found->second;
  ExpirePollers(q, clock_->Now());
  std::vector<std::pair<std::string, PollerState>> pollers(q.pollers.begin(), q.pollers.end());
  std::stable_sort(pollers.begin(), pollers.end(), [](const auto& a, const auto& b) {
    return a.second.last_access > b.second.last_access;  // most recent first
  });
  for (const auto& [identity, state] : pollers) {
    api::v1::PollerInfo* p = resp.add_pollers();
    p->set_identity(identity);
    *p->mutable_last_access_time() = ToProto(state.last_access);
    p->set_rate_per_second(state.rate);
  }
  api::v1::TaskQueueStatus* status = resp.mutable_task_queue_status();
  status->set_backlog_count_hint(static_cast<int64_t>(q.backlog.size() + q.in_flight_total));
  auto& by_priority = *status->mutable_backlog_by_priority();
  for (const auto& [key, task] : q.backlog) ++by_priority[key.first];
  for (const auto& [priority, n] : q.in_flight) by_priority[priority] += static_cast<int64_t>(n);
  status->set_rate_per_second(q.limiter.rate());
  status->set_tasks_dispatched(q.dispatched);
  return resp;
}

double MatchingEngine::DispatchRateLimit(const TaskQueueId& queue) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = queues_.find(Key{queue.namespace_id, queue.name, static_cast<int>(queue.kind)});
  return found == queues_.end() ? 0 : found->second->limiter.rate();
}

size_t MatchingEngine::BacklogSize(const TaskQueueId& queue) {
  std::lock_guard<std::mutex> lock(mu_);
  const Queue& q = GetQueue(queue);
  return q.backlog.size() + q.in_flight_total;
}

}  // namespace weft::matching
