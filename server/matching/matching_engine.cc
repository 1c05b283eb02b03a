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
    metrics_->SetBacklog(id.namespace_id, id.name, KindName(id.kind),
                         static_cast<double>(q.backlog.size()));
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
        TaskQueueId id{*ns, *name, static_cast<internal::TaskKind>(*kind)};
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

absl::Status MatchingEngine::AddTask(const TaskQueueId& queue, const internal::BacklogTask& task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_) return absl::UnavailableError("matching is shutting down");
    Queue& q = GetQueue(queue);
    if (!q.waiters.empty()) {
      Waiter* w = q.waiters.front();
      q.waiters.pop_front();
      w->task = task;
      w->woken = true;
      w->cv.notify_one();
      return absl::OkStatus();
    }
  }
  // No poller: make the task durable before it is acknowledged, outside the lock so one
  // queue's fsync does not stall the others.
  uint64_t id = next_task_id_++;
  std::string key = BacklogKey(queue, id);
  absl::Status s = store_->Put(storage::Cf::kTaskQueues, key, task.SerializeAsString());
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  Queue& q = GetQueue(queue);
  if (!q.waiters.empty()) {
    // A poller arrived while we wrote: hand it over now, the stored copy goes.
    Waiter* w = q.waiters.front();
    q.waiters.pop_front();
    w->task = task;
    w->woken = true;
    w->cv.notify_one();
    storage::Batch b;
    b.Delete(storage::Cf::kTaskQueues, key);
    return store_->Write(b, /*sync=*/false);
  }
  q.backlog.emplace_back(id, task);
  ReportBacklog(queue, q);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<internal::BacklogTask>> MatchingEngine::PollTask(
    const TaskQueueId& queue, absl::Time deadline, const std::function<bool()>& cancelled) {
  std::unique_lock<std::mutex> lock(mu_);
  if (shutdown_) return absl::UnavailableError("matching is shutting down");
  Queue& q = GetQueue(queue);
  if (!q.backlog.empty()) {
    auto [id, task] = std::move(q.backlog.front());
    q.backlog.pop_front();
    ReportBacklog(queue, q);
    lock.unlock();
    // A lost delete only means a duplicate delivery after a crash, which history refuses;
    // no need to pay an fsync for it.
    storage::Batch b;
    b.Delete(storage::Cf::kTaskQueues, BacklogKey(queue, id));
    absl::Status s = store_->Write(b, /*sync=*/false);
    if (!s.ok()) return s;
    return std::optional<internal::BacklogTask>(std::move(task));
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
    return std::optional<internal::BacklogTask>();
  }
  if (!w.task && shutdown_) return absl::UnavailableError("matching is shutting down");
  return std::move(w.task);
}

size_t MatchingEngine::BacklogSize(const TaskQueueId& queue) {
  std::lock_guard<std::mutex> lock(mu_);
  return GetQueue(queue).backlog.size();
}

}  // namespace weft::matching
