// Key encoding: building and reading back the order-preserving keys of every transition
// (storage/key_codec.h, server/history/keys.h).
#include <benchmark/benchmark.h>

#include <string>

#include "server/history/keys.h"
#include "storage/key_codec.h"

namespace weft::bench {
namespace {

const std::string kNamespace = "default";
const std::string kWorkflowId = "bench-12345-1700000000000000-4711";
const std::string kRunId = "0b5f8a52-6c1e-4d8e-9a57-3f2d1c0e9b7a";

// The executions key of a run: shard, namespace, workflow id, run id.
void BM_KeyBuildExecution(benchmark::State& state) {
  for (auto _ : state) {
    std::string key =
        storage::KeyBuilder().U32(7).Str(kNamespace).Str(kWorkflowId).Str(kRunId).Done();
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(BM_KeyBuildExecution);

// Every transition writes one history batch key (plus execution and task keys).
void BM_KeyHistoryBatch(benchmark::State& state) {
  int64_t first_event_id = 1;
  for (auto _ : state) {
    std::string key =
        history::keys::HistoryBatch(7, kNamespace, kWorkflowId, kRunId, first_event_id++);
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(BM_KeyHistoryBatch);

// A string with NUL bytes takes the escaping path.
void BM_KeyBuildEscapedString(benchmark::State& state) {
  std::string with_nuls(64, 'a');
  for (size_t i = 0; i < with_nuls.size(); i += 8) with_nuls[i] = '\0';
  for (auto _ : state) {
    std::string key = storage::KeyBuilder().U32(1).Str(with_nuls).Done();
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(BM_KeyBuildEscapedString);

void BM_KeyReadExecution(benchmark::State& state) {
  const std::string key =
      storage::KeyBuilder().U32(7).Str(kNamespace).Str(kWorkflowId).Str(kRunId).Done();
  for (auto _ : state) {
    storage::KeyReader r(key);
    auto shard = r.U32();
    auto ns = r.Str();
    auto wf = r.Str();
    auto run = r.Str();
    benchmark::DoNotOptimize(shard);
    benchmark::DoNotOptimize(ns);
    benchmark::DoNotOptimize(wf);
    benchmark::DoNotOptimize(run);
  }
}
BENCHMARK(BM_KeyReadExecution);

void BM_ShardFor(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(history::keys::ShardFor(kNamespace, kWorkflowId, 16));
  }
}
BENCHMARK(BM_ShardFor);

}  // namespace
}  // namespace weft::bench
