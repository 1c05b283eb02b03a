// Group commit: what one synced transition costs and how much merging concurrent
// transitions into one write (storage/group_committer.h) saves. All on a RocksDB store in a
// temporary directory on the real disk, with Durability::kSync.
//
//   BM_StoreWrite/sync:        one transition per synced write (the fsync floor)
//   BM_MergedWrite/N:          N transitions merged into one synced write (items = transitions)
//   BM_GroupCommitter/threads: N threads committing through one GroupCommitter, as N
//                              concurrent transitions of one shard do
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/micro/temp_dir.h"
#include "storage/group_committer.h"
#include "storage/key_codec.h"
#include "storage/store.h"

namespace weft::bench {
namespace {

// The shape of an "activity completed" transition: a history batch (~400 B), the mutable
// state (~300 B), and a transfer task (~100 B).
storage::Batch TransitionBatch(uint32_t shard, uint64_t workflow, uint64_t seq) {
  static const std::string kHistory(400, 'h');
  static const std::string kState(300, 's');
  static const std::string kTask(100, 't');
  const std::string wf = absl::StrCat("bench-wf-", workflow);
  const std::string run = "0b5f8a52-6c1e-4d8e-9a57-3f2d1c0e9b7a";
  storage::Batch b;
  b.Put(storage::Cf::kHistory,
        storage::KeyBuilder().U32(shard).Str("ns").Str(wf).Str(run).I64(seq).Done(), kHistory);
  b.Put(storage::Cf::kExecutions,
        storage::KeyBuilder().U32(shard).Str("ns").Str(wf).Str(run).Done(), kState);
  b.Put(storage::Cf::kTransferTasks,
        storage::KeyBuilder().U32(shard).U64(workflow * 1000000 + seq).Done(), kTask);
  return b;
}

void BM_StoreWrite(benchmark::State& state) {
  const bool sync = state.range(0) != 0;
  TempDir dir;
  auto store = storage::Store::Open(dir.path());
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  uint64_t seq = 0;
  for (auto _ : state) {
    absl::Status s = (*store)->Write(TransitionBatch(0, 1, seq++), sync);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StoreWrite)->ArgName("sync")->Arg(1)->Arg(0)->UseRealTime();

void BM_MergedWrite(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  TempDir dir;
  auto store = storage::Store::Open(dir.path());
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  uint64_t seq = 0;
  for (auto _ : state) {
    storage::Batch merged;
    for (int i = 0; i < n; ++i) merged.Append(TransitionBatch(0, i, seq));
    ++seq;
    absl::Status s = (*store)->Write(merged);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_MergedWrite)->Arg(1)->Arg(8)->Arg(64)->Arg(256)->UseRealTime();

// Shared by the benchmark's threads; thread 0 sets up before the timed loop and tears down
// after it (Google Benchmark puts a barrier at both ends of the loop).
struct CommitterFixture {
  TempDir dir;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<storage::GroupCommitter> committer;
  std::atomic<int64_t> groups{0};
  std::atomic<int64_t> transitions{0};
};
CommitterFixture* committer_fixture = nullptr;

void BM_GroupCommitter(benchmark::State& state) {
  if (state.thread_index() == 0) {
    committer_fixture = new CommitterFixture();
    auto store = storage::Store::Open(committer_fixture->dir.path());
    if (store.ok()) {
      committer_fixture->store = std::move(*store);
      CommitterFixture* f = committer_fixture;
      f->committer = std::make_unique<storage::GroupCommitter>(
          f->store.get(), storage::GroupCommitter::Options{
                              .name = "bench",
                              .on_commit =
                                  [f](double, int n, size_t) {
                                    f->groups.fetch_add(1, std::memory_order_relaxed);
                                    f->transitions.fetch_add(n, std::memory_order_relaxed);
                                  },
                          });
    }
  }
  uint64_t seq = 0;
  const auto workflow = static_cast<uint64_t>(state.thread_index());
  for (auto _ : state) {
    if (!committer_fixture->committer) {
      state.SkipWithError("cannot open the store");
      break;
    }
    absl::Status s = committer_fixture->committer->Commit(TransitionBatch(0, workflow, seq++));
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    int64_t groups = committer_fixture->groups.load();
    if (groups > 0) {
      state.counters["transitions_per_group"] =
          static_cast<double>(committer_fixture->transitions.load()) / static_cast<double>(groups);
    }
    committer_fixture->committer.reset();
    committer_fixture->store.reset();
    delete committer_fixture;
    committer_fixture = nullptr;
  }
}
BENCHMARK(BM_GroupCommitter)->Threads(1)->Threads(4)->Threads(16)->Threads(64)->UseRealTime();

}  // namespace
}  // namespace weft::bench
