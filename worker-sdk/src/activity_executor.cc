#include "activity_executor.h"

#include <algorithm>

namespace weft::detail {

ActivityExecutor::ActivityExecutor(int slots) : slots_(std::max(slots, 1)) {
  threads_.reserve(static_cast<size_t>(slots_));
  for (int i = 0; i < slots_; ++i) threads_.emplace_back([this] { Loop(); });
}

ActivityExecutor::~ActivityExecutor() { Join(); }

bool ActivityExecutor::Acquire() {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopped_ || used_ < slots_; };
  mu_.Await(absl::Condition(&ready));
  if (stopped_) return false;
  ++used_;
  return true;
}

int ActivityExecutor::TryAcquire(int n) {
  absl::MutexLock lock(&mu_);
  if (stopped_ || n <= 0) return 0;
  int taken = std::min(n, slots_ - used_);
  used_ += taken;
  return taken;
}

void ActivityExecutor::Release(int n) {
  if (n <= 0) return;
  absl::MutexLock lock(&mu_);
  used_ = std::max(0, used_ - n);
}

void ActivityExecutor::Run(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(task));
}

void ActivityExecutor::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
}

void ActivityExecutor::Join() {
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    joining_ = true;  // threads leave once the queue is empty
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

int ActivityExecutor::used() const {
  absl::MutexLock lock(&mu_);
  return used_;
}

void ActivityExecutor::Loop() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !queue_.empty() || joining_; };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // joining, nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
    Release(1);
  }
}

}  // namespace weft::detail
