// Matching (server/matching/matching_engine.h): the two ways a task reaches a worker.
//
//   BM_MatchingSyncMatch/pollers:N  AddTask while N pollers wait: the task is handed over in
//                                   memory and AddTask returns once the poller acked it.
//                                   With one poller, a task that arrives while the poller
//                                   is between ack and its next poll goes to the backlog
//                                   (a synced write): the gap between /1 and /2 shows it.
//   BM_MatchingBacklog              no poller waits: AddTask writes the task (synced), then a
//                                   poll takes it from the backlog and acks it (unsynced delete).
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "bench/micro/temp_dir.h"
#include "server/matching/matching_engine.h"
#include "storage/store.h"

namespace weft::bench {
namespace {

const matching::TaskQueueId kQueue{"ns-id", "bench-queue", internal::TASK_KIND_ACTIVITY};

internal::BacklogTask SampleTask(int64_t scheduled_event_id) {
  internal::BacklogTask t;
  t.set_namespace_id("ns-id");
  t.set_workflow_id("bench-4711-1700000000000000-17");
  t.set_run_id("0b5f8a52-6c1e-4d8e-9a57-3f2d1c0e9b7a");
  t.set_scheduled_event_id(scheduled_event_id);
  t.set_attempt(1);
  t.mutable_create_time()->set_seconds(1700000000);
  return t;
}

void BM_MatchingSyncMatch(benchmark::State& state) {
  TempDir dir;
  auto store = storage::Store::Open(dir.path());
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  matching::MatchingEngine engine(store->get(), /*metrics=*/nullptr);
  std::atomic<int64_t> delivered{0};
  std::vector<std::thread> pollers;
  for (int i = 0; i < state.range(0); ++i) {
    pollers.emplace_back([&] {
      for (;;) {
        auto polled = engine.PollTask(kQueue, absl::Now() + absl::Seconds(1), {});
        if (!polled.ok()) return;  // shut down
        if (!polled->has_value()) continue;
        engine.AckTask(kQueue, **polled, /*consumed=*/true);
        delivered.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  // Let the pollers register before the first task.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  int64_t id = 0;
  for (auto _ : state) {
    absl::Status s = engine.AddTask(kQueue, SampleTask(++id));
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  engine.Shutdown();
  for (std::thread& t : pollers) t.join();
  if (delivered.load() < id) state.SkipWithError("a task was not delivered");
}
BENCHMARK(BM_MatchingSyncMatch)->ArgName("pollers")->Arg(1)->Arg(2)->Arg(8)->UseRealTime();

void BM_MatchingBacklog(benchmark::State& state) {
  TempDir dir;
  auto store = storage::Store::Open(dir.path());
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  matching::MatchingEngine engine(store->get(), /*metrics=*/nullptr);
  int64_t id = 0;
  for (auto _ : state) {
    absl::Status s = engine.AddTask(kQueue, SampleTask(++id));
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    auto polled = engine.PollTask(kQueue, absl::Now() + absl::Seconds(1), {});
    if (!polled.ok() || !polled->has_value()) {
      state.SkipWithError("the backlog task was not delivered");
      break;
    }
    engine.AckTask(kQueue, **polled, /*consumed=*/true);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MatchingBacklog)->UseRealTime();

}  // namespace
}  // namespace weft::bench
