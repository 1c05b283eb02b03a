// QueryableCounter: counts the `increment` signals it receives and answers the query `count`
// at any time, also after it closed.
//
//   weft workflow start -q samples -t QueryableCounter -w counter-1 --input 3
//   weft workflow signal -w counter-1 --name increment            (adds 1)
//   weft workflow signal -w counter-1 --name increment --input 5  (adds 5)
//   weft workflow query -w counter-1 --name count                 -> 6
//   weft workflow signal -w counter-1 --name done                 (or wait for 3 signals)
//
// Input: N (stop after N increments) or {"until": N, "timeout_seconds": S}. No input: stop on
// `done` or after 60 s, whichever comes first. Result: the count.
#include <chrono>
#include <memory>

#include "samples.h"
#include "weft/workflow.h"

namespace weft::samples {
namespace {

struct CounterOptions {
  int until = 0;  // 0: no limit
  double timeout_seconds = 60;
};

CounterOptions ParseCounterOptions(const nlohmann::json& in) {
  CounterOptions o;
  if (in.is_number()) {
    o.until = in.get<int>();
  } else if (in.is_object()) {
    o.until = in.value("until", 0);
    o.timeout_seconds = in.value("timeout_seconds", o.timeout_seconds);
  } else if (!in.is_null()) {
    throw ApplicationError(
        "QueryableCounter expects N or {\"until\": N, \"timeout_seconds\": S} as input",
        "InvalidArgument", true);
  }
  return o;
}

Workflow<int> QueryableCounter(WorkflowContext& ctx, nlohmann::json input) {
  const CounterOptions options = ParseCounterOptions(input);
  // Shared with the handlers: a closed run is queried after this coroutine's locals are gone.
  auto count = std::make_shared<int>(0);
  auto increments = std::make_shared<int>(0);
  ctx.SetQueryHandler("count", [count] { return *count; });
  ctx.SetQueryHandler("increments", [increments] { return *increments; });

  auto& signals = ctx.GetSignalChannel("increment");
  Future<nlohmann::json> done = ctx.GetSignalChannel("done").Receive();
  TimerFuture timeout =
      ctx.NewTimer(std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000)));
  while (options.until <= 0 || *increments < options.until) {
    Future<nlohmann::json> next = signals.Receive();
    size_t first = co_await ctx.WhenAny(next, done, timeout);
    if (first != 0) break;
    nlohmann::json by = co_await next;
    *count += by.is_number_integer() ? by.get<int>() : 1;
    ++*increments;
  }
  timeout.Cancel();  // no-op when it fired
  co_return *count;
}

}  // namespace

void RegisterQueryableCounter(Worker& worker) {
  worker.RegisterWorkflow("QueryableCounter", QueryableCounter);
}

}  // namespace weft::samples
