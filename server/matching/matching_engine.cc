#include "server/matching/matching_engine.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "storage/key_codec.h"

namespace weft::matching {
namespace {

const char* KindName(internal::TaskKind kind) {
  return kind == internal::TASK_KIND_WORKFLOW ? "workflow" : "activity";
}

}  // namespace

MatchingEngine::MatchingEngine(storage::Store* store, Metrics* metrics)
    : store_(store), metrics_(metrics) {}

MatchingEngine::~MatchingEngine() { Shutdown(); }

std::string MatchingEngine::BacklogKey(const TaskQueueId& id, uint64_t task_id) const {
  return storage::KeyBuilder()
      .Str(id.namespace_id)
      .Str(id.name)
      .U32(static_cast<uint32_t>(id.kind))
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
                         static_cast<double>(q.backlog.size() + q.in_flight));
    metrics_->SetPollers(ns, id.name, KindName(id.kind), static_cast<double>(q.waiters.size()));
  }
}

absl::Status MatchingEngine::Recover() {
  uint64_t max_id = 0;
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status parse_error;
  absl::Status s = store_->Scan(
      storage::Cf::kTaskQueues, "", "", [&](std::string_view key, std::string_view value) {
        storage::KeyReader r(key);
        auto ns = r.Str();
        auto name = r.Str();
        auto kind = r.U32();
        auto task_id = r.U64();
        internal::BacklogTask task;
        if (!ns || !name || !kind || !task_id ||
            !task.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse_error = absl::DataLossError("corrupt task_queues record");
          return false;
        }
        TaskQueueId id{*ns, *name, static_cast<internal::TaskKind>(*kind), task.namespace_name()};
        Queue& q = GetQueue(id);
        q.backlog.emplace_back(*task_id, std::move(task));
        max_id = std::max(max_id, *task_id);
        ReportBacklog(id, q);
        return true;
      });
  if (!s.ok()) return s;
  if (!parse_error.ok()) return parse_error;
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

absl::Status MatchingEngine::AddTask(const TaskQueueId& queue, const internal::BacklogTask& task) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (shutdown_) return absl::UnavailableError("matching is shutting down");
    if (TrySyncMatch(GetQueue(queue), task, lock)) {
      if (metrics_) metrics_->RecordDispatch(queue.namespace_name, KindName(queue.kind), true);
      return absl::OkStatus();
    }
  }
  if (!task.query_id().empty()) {
    // A query lives only as long as its caller waits: memory only, never the backlog's disk.
    std::lock_guard<std::mutex> lock(mu_);
    Queue& q = GetQueue(queue);
    q.backlog.emplace_back(kInMemoryOnly, task);
    WakeOnePoller(q);
    return absl::OkStatus();
  }
  // No poller: write the task to the backlog, outside the lock. No fsync of its own: the
  // caller deletes its transfer task only after this, so if a power failure lost this write
  // it lost that later delete too, and the task is dispatched again after recovery.
  uint64_t id = next_task_id_++;
  storage::Batch b;
  b.Put(storage::Cf::kTaskQueues, BacklogKey(queue, id), task.SerializeAsString());
  absl::Status s = store_->Write(b, /*sync=*/false);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  Queue& q = GetQueue(queue);
  q.backlog.emplace_back(id, task);
  ReportBacklog(queue, q);
  if (metrics_) metrics_->RecordDispatch(queue.namespace_name, KindName(queue.kind), false);
  WakeOnePoller(q);  // one that arrived while we wrote takes it from the backlog
  return absl::OkStatus();
}

absl::StatusOr<std::optional<PolledTask>> MatchingEngine::PollTask(
    const TaskQueueId& queue, absl::Time deadline, const std::function<bool()>& cancelled) {
  std::unique_lock<std::mutex> lock(mu_);
  Queue& q = GetQueue(queue);
  for (;;) {
    if (shutdown_) return absl::UnavailableError("matching is shutting down");
    if (!q.backlog.empty()) {
      auto [id, task] = std::move(q.backlog.front());
      q.backlog.pop_front();
      ++q.in_flight;
      auto receipt = std::make_shared<Receipt>();
      receipt->backlog_id = id;
      return std::optional<PolledTask>(PolledTask{std::move(task), receipt});
    }
    Waiter w;
    auto it = q.waiters.insert(q.waiters.end(), &w);
    while (!w.woken) {
      absl::Time now = absl::Now();
      if (now >= deadline || (cancelled && cancelled())) break;
      absl::Duration wait = std::min(deadline - now, absl::Milliseconds(200));
      w.cv.wait_for(lock, absl::ToChronoNanoseconds(wait));
    }
    if (!w.woken) {
      q.waiters.erase(it);
      if (cancelled && cancelled()) return absl::CancelledError("poll cancelled by the caller");
      return std::optional<PolledTask>();
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
  if (consumed && receipt->backlog_id != kInMemoryOnly) {
    // History has it (started, synced); a lost delete would only mean a harmless duplicate
    // after a crash, so it need not pay an fsync.
    storage::Batch b;
    b.Delete(storage::Cf::kTaskQueues, BacklogKey(queue, receipt->backlog_id));
    (void)store_->Write(b, /*sync=*/false);
  }
  std::lock_guard<std::mutex> lock(mu_);
  Queue& q = GetQueue(queue);
  --q.in_flight;
  if (!consumed) {
    q.backlog.emplace_front(receipt->backlog_id, polled.task);
    WakeOnePoller(q);
  }
  ReportBacklog(queue, q);
}

size_t MatchingEngine::BacklogSize(const TaskQueueId& queue) {
  std::lock_guard<std::mutex> lock(mu_);
  const Queue& q = GetQueue(queue);
  return q.backlog.size() + q.in_flight;
}

}  // namespace weft::matching
