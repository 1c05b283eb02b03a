// AwaitSignal: blocks until someone sends the `approve` signal, returns its payload.
//
//   weft workflow signal --workflow-id <id> --name approve --input '{"by":"ann"}'
#include "samples.h"
#include "weft/workflow.h"

namespace weft::samples {
namespace {

Workflow<nlohmann::json> AwaitSignal(WorkflowContext& ctx) {
  nlohmann::json approval = co_await ctx.GetSignalChannel("approve").Receive<nlohmann::json>();
  co_return approval;
}

}  // namespace

void RegisterAwaitSignal(Worker& worker) { worker.RegisterWorkflow("AwaitSignal", AwaitSignal); }

}  // namespace weft::samples
