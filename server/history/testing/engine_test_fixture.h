// Shared setup for the history engine's unit tests (history_test only; never linked into the
// server): a thread-safe record of the tasks history hands to matching (TaskRecorder), two
// fakes of matching built on it (FakeMatching, a bare MatchingClient; RecordingMatchingEngine,
// the real matching engine with only AddTask replaced), and a RocksDB store in a fresh
// temporary directory (OpenTempStore / RemoveTempDir). Every type here is safe to call from
// the engine's queue threads and the test thread at once. The caller owns the store and the
// directory and must destroy the engine before the matching fake and the store.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/matching/matching_client.h"
#include "server/matching/matching_engine.h"
#include "storage/store.h"

namespace weft::history::test_support {

// The tasks history handed to matching, in order, each with the queue it was meant for.
class TaskRecorder {
 public:
  using Entry = std::pair<matching::TaskQueueId, internal::BacklogTask>;

  void Record(const matching::TaskQueueId& q, const internal::BacklogTask& t);
  // Removes and returns the first recorded task for which `match` is true, waiting up to
  // `wait` (real time) for one to arrive; nullopt after that.
  std::optional<Entry> Take(const std::function<bool(const Entry&)>& match,
                            absl::Duration wait = absl::Seconds(10));

  // The next task of `kind`.
  std::optional<internal::BacklogTask> Next(internal::TaskKind kind,
                                            absl::Duration wait = absl::Seconds(10));
  // The next task of `kind` together with its queue.
  std::optional<Entry> NextEntry(internal::TaskKind kind, absl::Duration wait = absl::Seconds(10));
  // The next workflow task handed to the queue named `queue`.
  std::optional<internal::BacklogTask> NextOnQueue(const std::string& queue,
                                                   absl::Duration wait = absl::Seconds(10));
  // The next task of `kind` for workflow `workflow_id`.
  std::optional<internal::BacklogTask> NextOf(internal::TaskKind kind,
                                              const std::string& workflow_id,
                                              absl::Duration wait = absl::Seconds(10));

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry> tasks_;
};

// A MatchingClient that records tasks instead of queueing them. Polls are not supported;
// the activity dispatch rate limit of a queue is whatever SetRate said (0 = none).
class FakeMatching : public matching::MatchingClient, public TaskRecorder {
 public:
  absl::Status AddTask(const matching::TaskQueueId& q, const internal::BacklogTask& t) override;
  absl::StatusOr<std::optional<matching::PolledTask>> PollTask(
      const matching::TaskQueueId&, const matching::PollerInfo&, absl::Time,
      const std::function<bool()>&) override;
  void AckTask(const matching::TaskQueueId&, const matching::PolledTask&, bool) override {}
  double DispatchRateLimit(const matching::TaskQueueId& q) override;
  void SetRate(const std::string& queue, double rate);

 private:
  std::mutex mu_;
  std::map<std::string, double> rates_;
};

// The real matching engine on `store` with AddTask replaced by recording.
class RecordingMatchingEngine : public matching::MatchingEngine, public TaskRecorder {
 public:
  explicit RecordingMatchingEngine(storage::Store* store)
      : matching::MatchingEngine(store, nullptr) {}
  absl::Status AddTask(const matching::TaskQueueId& q, const internal::BacklogTask& t) override;
};

// Creates a fresh directory /tmp/<prefix>-XXXXXX and stores its path in `*dir`; false if the
// directory cannot be created.
bool MakeTempDir(const std::string& prefix, std::string* dir);
// Creates a fresh directory /tmp/<prefix>-XXXXXX, stores its path in `*dir` and opens a store
// in it. On error `*dir` may hold a directory the caller should still remove.
absl::StatusOr<std::unique_ptr<storage::Store>> OpenTempStore(const std::string& prefix,
                                                              std::string* dir);
// Removes `dir` and everything in it; a no-op for an empty path.
void RemoveTempDir(const std::string& dir);

}  // namespace weft::history::test_support
