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

absl::Status GroupCommitter::Commit(Batch batch) {
  if (batch.empty()) return absl::OkStatus();
  Pending p{std::move(batch)};
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return absl::UnavailableError("storage is shutting down");
  queue_.push_back(&p);
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return p.done; });
  return p.status;
}

void GroupCommitter::Run() {
  std::vector<Pending*> group;
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
    absl::Status status = options_.precheck ? options_.precheck() : absl::OkStatus();
    if (status.ok()) {
      auto start = std::chrono::steady_clock::now();
      Batch merged;
      const Batch* to_write = &group.front()->batch;
      if (group.size() > 1) {
        for (Pending* p : group) merged.Append(p->batch);
        to_write = &merged;
      }
      status = store_->Write(*to_write);
      if (status.ok() && options_.on_commit) {
        std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        options_.on_commit(took.count(), static_cast<int>(group.size()), to_write->ByteSize());
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (Pending* p : group) {
        p->status = status;
        p->done = true;
      }
    }
    done_cv_.notify_all();
    group.clear();
  }
}

}  // namespace weft::storage
