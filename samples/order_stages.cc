// OrderStages: a workflow that publishes its progress as a search attribute, so operators
// can find orders by stage with a list query. Needs the keyword attribute OrderStage:
//
//   weft search-attribute add --name OrderStage --type keyword
//   weft workflow start --task-queue samples --type OrderStages --workflow-id order-1
//       --input '{"await_signal":true}' --search-attr OrderStage=new
//   weft workflow list --query "OrderStage = 'received' AND ExecutionStatus = 'Running'"
//   weft workflow signal --workflow-id order-1 --name advance    # to the next stage
//
// Input (all optional): {"stages": [...] (default received, packed, shipped),
// "pause_seconds": 1, "await_signal": false (wait for an `advance` signal between stages
// instead of pausing)}. Returns {"stage": <the last stage>}.
#include <chrono>
#include <cmath>

#include "samples.h"
#include "weft/search_attributes.h"
#include "weft/workflow.h"

namespace weft::samples {
namespace {

Workflow<nlohmann::json> OrderStages(WorkflowContext& ctx, nlohmann::json input) {
  if (input.is_null()) input = nlohmann::json::object();
  if (!input.is_object()) {
    throw ApplicationError("OrderStages expects a JSON object (or no input)", "InvalidArgument",
                           true);
  }
  std::vector<std::string> stages = {"received", "packed", "shipped"};
  if (input.contains("stages")) stages = input["stages"].get<std::vector<std::string>>();
  double pause = input.value("pause_seconds", 1.0);
  bool await_signal = input.value("await_signal", false);
  std::string stage;
  for (size_t i = 0; i < stages.size(); ++i) {
    if (i > 0) {
      if (await_signal) {
        co_await ctx.GetSignalChannel("advance").Receive<nlohmann::json>();
      } else {
        co_await ctx.Sleep(std::chrono::milliseconds(std::llround(pause * 1000)));
      }
    }
    stage = stages[i];
    ctx.UpsertSearchAttributes(SearchAttributes().Keyword("OrderStage", stage));
  }
  co_return nlohmann::json{{"stage", stage}};
}

}  // namespace

void RegisterOrderStages(Worker& worker) { worker.RegisterWorkflow("OrderStages", OrderStages); }

}  // namespace weft::samples
