// Replay in the worker SDK (worker-sdk/src/replayer.h, an internal header): the cost of one
// workflow task of a long run. Without sticky execution every workflow task replays the
// whole history, so this is paid on every step of a long workflow.
//
//   BM_ReplayHistory/events:N  a run of sequential activities whose history has ~N events,
//                              replayed to its last (current) workflow task, which completes
//                              the workflow; also the proto parse of that history.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "history_builder_for_test.h"
#include "replayer.h"
#include "weft/payload.h"
#include "weft/workflow.h"
#include "weft/workflow_definition.h"

namespace weft::bench {
namespace {

constexpr char kActivityType[] = "Increment";

Workflow<int64_t> Steps(WorkflowContext& ctx, int64_t activities) {
  const ActivityOptions options{.start_to_close = std::chrono::seconds(30)};
  int64_t n = 0;
  for (int64_t i = 0; i < activities; ++i) {
    n = co_await ctx.ExecuteActivity<int64_t>(kActivityType, options, n);
  }
  co_return n;
}

const WorkflowDefinition& StepsDefinition() {
  static const WorkflowDefinition def = WorkflowDefinition::FromFunction("Steps", Steps);
  return def;
}

// Six events per activity (scheduled, started, completed, and the next workflow task's
// scheduled, started, completed); the last task is started, not completed.
api::v1::History StepsHistory(int target_events, int64_t* activities) {
  const int64_t steps = std::max<int64_t>(1, (target_events - 3) / 6);
  *activities = steps;
  testing::HistoryBuilder h("Steps", ToPayloads(steps));
  int64_t completed = h.CompleteTask();
  for (int64_t i = 0; i < steps; ++i) {
    int64_t scheduled = h.ActivityScheduled(completed, std::to_string(i + 1), kActivityType);
    h.ActivityCompleted(scheduled, ToPayload(i + 1));
    if (i + 1 < steps) {
      completed = h.CompleteTask();
    } else {
      h.StartTask();
    }
  }
  return h.history();
}

api::v1::WorkflowExecution Execution() {
  api::v1::WorkflowExecution e;
  e.set_workflow_id("bench-wf");
  e.set_run_id("0b5f8a52-6c1e-4d8e-9a57-3f2d1c0e9b7a");
  return e;
}

void BM_ReplayHistory(benchmark::State& state) {
  int64_t activities = 0;
  const api::v1::History history = StepsHistory(static_cast<int>(state.range(0)), &activities);
  const Replayer replayer(StepsDefinition());
  const api::v1::WorkflowExecution execution = Execution();
  for (auto _ : state) {
    ReplayResult r = replayer.Replay(history, execution, "default");
    if (r.task_failed || r.commands.size() != 1 ||
        r.commands[0].command_type() != api::v1::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION) {
      state.SkipWithError(("unexpected replay result: " + r.message).c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.counters["events"] = history.events_size();
  state.counters["events_per_s"] = benchmark::Counter(
      static_cast<double>(history.events_size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ReplayHistory)->ArgName("events")->Arg(10)->Arg(100)->Arg(1000);

// A worker first parses the history it polled; this is that part alone.
void BM_ParseHistory(benchmark::State& state) {
  int64_t activities = 0;
  const std::string wire =
      StepsHistory(static_cast<int>(state.range(0)), &activities).SerializeAsString();
  for (auto _ : state) {
    api::v1::History h;
    bool ok = h.ParseFromString(wire);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_ParseHistory)->ArgName("events")->Arg(1000);

}  // namespace
}  // namespace weft::bench
