#include "storage/group_committer.h"

#include <chrono>
#include <vector>

namespace weft::storage {

GroupCommitter::GroupCommitter(Store* store, Options options)
    : store_(store), options_(std::move(options)) {
  writer_ = std::thread([this] { Run(); });
}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  writer_.join();
}

absl::Status GroupCommitter::Commit(Batch batch, CommitOptions options) {
  if (batch.empty()) return absl::OkStatus();
  Pending p;
  p.batch = std::move(batch);
  p.options = std::move(options);
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return absl::UnavailableError("storage is shutting down");
  queue_.push_back(&p);
  work_cv_.notify_one();
  p.cv.wait(lock, [&] { return p.done; });
  return p.status;
}

void GroupCommitter::Run() {
  std::vector<Pending*> group;
  std::vector<Pending*> accepted;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      while (!queue_.empty() && static_cast<int>(group.size()) < options_.max_group_size) {
        group.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    bool sync = false;
    for (Pending* p : group) {
      p->status = p->options.precheck ? p->options.precheck() : absl::OkStatus();
      if (p->status.ok()) {
        accepted.push_back(p);
        sync |= p->options.sync;
      }
    }
    if (!accepted.empty()) {
      auto start = std::chrono::steady_clock::now();
      Batch merged;
      const Batch* to_write = &accepted.front()->batch;
      if (accepted.size() > 1) {
        for (Pending* p : accepted) merged.Append(p->batch);
        to_write = &merged;
      }
      absl::Status s = store_->Write(*to_write, sync);
      for (Pending* p : accepted) p->status = s;
      if (s.ok() && options_.on_commit) {
        std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        options_.on_commit(took.count(), static_cast<int>(accepted.size()), to_write->ByteSize());
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (Pending* p : group) {
        p->done = true;
        p->cv.notify_one();
      }
    }
    group.clear();
    accepted.clear();
  }
}

}  // namespace weft::storage
