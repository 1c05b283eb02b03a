#include "server/history/queue_processors.h"

#include "server/common/logging.h"
#include "server/common/proto_time.h"
#include "server/history/keys.h"

namespace weft::history {
namespace {

constexpr absl::Duration kRetryPause = absl::Milliseconds(500);
// A timer firing later than this after its time is worth a warning (the queue is behind).
constexpr absl::Duration kTimerLagWarning = absl::Seconds(1);
constexpr absl::Duration kLagLogEvery = absl::Seconds(10);

}  // namespace

// ---- TransferQueue ----

TransferQueue::TransferQueue(int shard, storage::Store* store, Handler handler, int dispatchers)
    : shard_(shard), store_(store), handler_(std::move(handler)), dispatchers_(dispatchers) {}

TransferQueue::~TransferQueue() { Stop(); }

absl::Status TransferQueue::Recover() {
  std::lock_guard<std::mutex> lock(mu_);
  return store_->ScanPrefix(storage::Cf::kTransferTasks, keys::ShardPrefix(shard_),
                            [&](std::string_view, std::string_view value) {
                              internal::TransferTask t;
                              if (t.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                                tasks_.push_back(std::move(t));
                              }
                              return true;
                            });
}

void TransferQueue::Start() {
  for (int i = 0; i < dispatchers_; ++i) threads_.emplace_back([this] { Run(); });
}

void TransferQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void TransferQueue::Add(const internal::TransferTask& task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(task);
  }
  cv_.notify_one();
}

size_t TransferQueue::Pending() {
  std::lock_guard<std::mutex> lock(mu_);
  return tasks_.size();
}

void TransferQueue::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
    if (stop_) return;
    internal::TransferTask task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    logs::History().Trace("transfer task", {{"shard", shard_},
                                            {"task_id", task.task_id()},
                                            {"type", internal::TransferTaskType_Name(task.type())},
                                            {"workflow_id", task.workflow_id()},
                                            {"run_id", task.run_id()},
                                            {"task_queue", task.task_queue()}});
    absl::Status s = handler_(task);
    if (s.ok()) {
      storage::Batch b;
      b.Delete(storage::Cf::kTransferTasks, keys::TransferTask(shard_, task.task_id()));
      s = store_->Write(b, /*sync=*/false);
    }
    lock.lock();
    if (!s.ok() && !stop_) {
      logs::History().Warn("transfer task failed, will retry",
                           {{"shard", shard_},
                            {"task_id", task.task_id()},
                            {"type", internal::TransferTaskType_Name(task.type())},
                            {"workflow_id", task.workflow_id()},
                            {"run_id", task.run_id()},
                            {"code", absl::StatusCodeToString(s.code())},
                            {"error", s.message()}});
      tasks_.push_back(std::move(task));
      cv_.wait_for(lock, absl::ToChronoNanoseconds(kRetryPause), [&] { return stop_; });
    }
  }
}

// ---- TimerQueue ----

bool TimerQueue::Later::operator()(const internal::TimerTask& a,
                                   const internal::TimerTask& b) const {
  absl::Time ta = FromProto(a.fire_time()), tb = FromProto(b.fire_time());
  if (ta != tb) return ta > tb;
  return a.task_id() > b.task_id();
}

TimerQueue::TimerQueue(int shard, storage::Store* store, const Clock* clock, Handler handler)
    : shard_(shard), store_(store), clock_(clock), handler_(std::move(handler)) {}

TimerQueue::~TimerQueue() { Stop(); }

absl::Status TimerQueue::Recover() {
  std::lock_guard<std::mutex> lock(mu_);
  return store_->ScanPrefix(storage::Cf::kTimerTasks, keys::ShardPrefix(shard_),
                            [&](std::string_view, std::string_view value) {
                              internal::TimerTask t;
                              if (t.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                                heap_.push(std::move(t));
                              }
                              return true;
                            });
}

void TimerQueue::Start() {
  thread_ = std::thread([this] { Run(); });
}

void TimerQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TimerQueue::Add(const internal::TimerTask& task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    heap_.push(task);
  }
  cv_.notify_one();
}

size_t TimerQueue::Pending() {
  std::lock_guard<std::mutex> lock(mu_);
  return heap_.size();
}

void TimerQueue::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (stop_) return;
    if (heap_.empty()) {
      cv_.wait(lock);
      continue;
    }
    absl::Time fire = FromProto(heap_.top().fire_time());
    absl::Time now = clock_->Now();
    if (fire > now) {
      // Wake at the fire time, or earlier when a sooner timer is added.
      cv_.wait_for(lock, absl::ToChronoNanoseconds(std::min(fire - now, absl::Seconds(1))));
      continue;
    }
    internal::TimerTask task = heap_.top();
    heap_.pop();
    lock.unlock();
    if (absl::Duration lag = now - fire; lag > kTimerLagWarning) {
      // After a restart every overdue timer is late: one line per kLagLogEvery, with a count.
      ++late_since_log_;
      if (now - last_lag_log_ >= kLagLogEvery) {
        logs::History().Warn("timer fired late",
                             {{"shard", shard_},
                              {"lag_ms", absl::ToInt64Milliseconds(lag)},
                              {"late_timers", late_since_log_},
                              {"type", internal::TimerTaskType_Name(task.type())},
                              {"workflow_id", task.workflow_id()},
                              {"run_id", task.run_id()}});
        last_lag_log_ = now;
        late_since_log_ = 0;
      }
    }
    logs::History().Trace("timer task", {{"shard", shard_},
                                         {"task_id", task.task_id()},
                                         {"type", internal::TimerTaskType_Name(task.type())},
                                         {"workflow_id", task.workflow_id()},
                                         {"run_id", task.run_id()}});
    absl::Status s = handler_(task);
    if (s.ok()) {
      storage::Batch b;
      b.Delete(storage::Cf::kTimerTasks,
               keys::TimerTask(shard_, FromProto(task.fire_time()), task.task_id()));
      s = store_->Write(b, /*sync=*/false);
    }
    lock.lock();
    if (!s.ok() && !stop_) {
      logs::History().Warn("timer task failed, will retry",
                           {{"shard", shard_},
                            {"task_id", task.task_id()},
                            {"type", internal::TimerTaskType_Name(task.type())},
                            {"workflow_id", task.workflow_id()},
                            {"run_id", task.run_id()},
                            {"code", absl::StatusCodeToString(s.code())},
                            {"error", s.message()}});
      // Keep the task as it is (its storage key holds the original fire time) and pause
      // before trying again.
      heap_.push(std::move(task));
      cv_.wait_for(lock, absl::ToChronoNanoseconds(kRetryPause), [&] { return stop_; });
    }
  }
}

}  // namespace weft::history
