// ContinueAsNewCounter: each run sleeps 100 ms and continues as new with count + 1, so the
// history of any one run stays short however long the count goes. The result (awaited
// across the chain of runs by `weft workflow result` and Client::GetResult) is the final
// count.
//
//   weft workflow start -q samples -t ContinueAsNewCounter --input '{"count":0,"until":5}'
//
// No input: {"count": 0, "until": 5}. The query `count` answers the current run's count.
#include <chrono>

#include "samples.h"
#include "weft/workflow.h"

namespace weft::samples {
namespace {

struct ChainInput {
  int count = 0;
  int until = 5;
};
void from_json(const nlohmann::json& j, ChainInput& in) {
  if (j.is_null()) return;
  in.count = j.value("count", 0);
  in.until = j.value("until", 5);
}
void to_json(nlohmann::json& j, const ChainInput& in) {
  j = {{"count", in.count}, {"until", in.until}};
}

Workflow<int> ContinueAsNewCounter(WorkflowContext& ctx, ChainInput in) {
  ctx.SetQueryHandler("count", [count = in.count] { return count; });
  if (in.count >= in.until) co_return in.count;
  co_await ctx.Sleep(std::chrono::milliseconds(100));
  ctx.ContinueAsNew(ChainInput{in.count + 1, in.until});
}

}  // namespace

void RegisterContinueAsNewCounter(Worker& worker) {
  worker.RegisterWorkflow("ContinueAsNewCounter", ContinueAsNewCounter);
}

}  // namespace weft::samples
