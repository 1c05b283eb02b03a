#include "server/history/testing/engine_test_fixture.h"

#include <stdlib.h>

#include <filesystem>
#include <vector>

#include "absl/status/status.h"

namespace weft::history::test_support {

void TaskRecorder::Record(const matching::TaskQueueId& q, const internal::BacklogTask& t) {
  std::lock_guard<std::mutex> lock(mu_);
  tasks_.push_back({q, t});
  cv_.notify_all();
}

std::optional<TaskRecorder::Entry> TaskRecorder::Take(
    const std::function<bool(const Entry&)>& match, absl::Duration wait) {
  std::unique_lock<std::mutex> lock(mu_);
  std::optional<Entry> out;
  cv_.wait_for(lock, absl::ToChronoNanoseconds(wait), [&] {
    for (auto it = tasks_.begin(); it != tasks_.end(); ++it) {
      if (match(*it)) {
        out = *it;
        tasks_.erase(it);
        return true;
      }
    }
    return false;
  });
  return out;
}

std::optional<internal::BacklogTask> TaskRecorder::Next(internal::TaskKind kind,
                                                        absl::Duration wait) {
  auto e = NextEntry(kind, wait);
  if (!e) return std::nullopt;
  return e->second;
}

std::optional<TaskRecorder::Entry> TaskRecorder::NextEntry(internal::TaskKind kind,
                                                           absl::Duration wait) {
  return Take([&](const Entry& e) { return e.first.kind == kind; }, wait);
}

std::optional<internal::BacklogTask> TaskRecorder::NextOnQueue(const std::string& queue,
                                                               absl::Duration wait) {
  auto e = Take(
      [&](const Entry& e) {
        return e.first.kind == internal::TASK_KIND_WORKFLOW && e.first.name == queue;
      },
      wait);
  if (!e) return std::nullopt;
  return e->second;
}

std::optional<internal::BacklogTask> TaskRecorder::NextOf(internal::TaskKind kind,
                                                          const std::string& workflow_id,
                                                          absl::Duration wait) {
  auto e = Take(
      [&](const Entry& e) { return e.first.kind == kind && e.second.workflow_id() == workflow_id; },
      wait);
  if (!e) return std::nullopt;
  return e->second;
}

absl::Status FakeMatching::AddTask(const matching::TaskQueueId& q, const internal::BacklogTask& t) {
  Record(q, t);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<matching::PolledTask>> FakeMatching::PollTask(
    const matching::TaskQueueId&, const matching::PollerInfo&, absl::Time,
    const std::function<bool()>&) {
  return absl::UnimplementedError("not used");
}

double FakeMatching::DispatchRateLimit(const matching::TaskQueueId& q) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rates_.find(q.name);
  return q.kind == internal::TASK_KIND_ACTIVITY && it != rates_.end() ? it->second : 0;
}

void FakeMatching::SetRate(const std::string& queue, double rate) {
  std::lock_guard<std::mutex> lock(mu_);
  rates_[queue] = rate;
}

absl::Status RecordingMatchingEngine::AddTask(const matching::TaskQueueId& q,
                                              const internal::BacklogTask& t) {
  Record(q, t);
  return absl::OkStatus();
}

bool MakeTempDir(const std::string& prefix, std::string* dir) {
  std::string pattern = "/tmp/" + prefix + "-XXXXXX";
  std::vector<char> tmpl(pattern.begin(), pattern.end());
  tmpl.push_back('\0');
  if (mkdtemp(tmpl.data()) == nullptr) return false;
  *dir = tmpl.data();
  return true;
}

absl::StatusOr<std::unique_ptr<storage::Store>> OpenTempStore(const std::string& prefix,
                                                              std::string* dir) {
  if (!MakeTempDir(prefix, dir)) {
    return absl::InternalError("cannot create a temporary directory /tmp/" + prefix + "-XXXXXX");
  }
  return storage::Store::Open(*dir);
}

void RemoveTempDir(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace weft::history::test_support
