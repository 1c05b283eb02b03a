// Versioned: a workflow whose code changed while runs were in flight. Version 1 added a
// ValidateOrder step before ProcessOrder; GetVersion("add-step", kDefaultVersion, 1) records
// which path a run takes, so runs started by the old code (no marker in their history) keep
// the old path when replayed by this code, and new runs take the new one.
//
//   weft workflow start -q samples -t Versioned --input '"order-7"'
//   -> {"order": "order-7", "version": 1, "steps": ["validated order-7", "processed order-7"]}
//
// No input: order "order-1".
#include <chrono>
#include <string>
#include <vector>

#include "samples.h"
#include "weft/workflow.h"

namespace weft::samples {
namespace {

std::string ValidateOrder(std::string order) { return "validated " + order; }
std::string ProcessOrder(std::string order) { return "processed " + order; }

Workflow<nlohmann::json> Versioned(WorkflowContext& ctx, std::optional<std::string> input) {
  const std::string order = input.value_or("order-1");
  const ActivityOptions options{.start_to_close = std::chrono::seconds(10)};
  std::vector<std::string> steps;
  int version = ctx.GetVersion("add-step", kDefaultVersion, 1);
  if (version >= 1) {
    steps.push_back(co_await ctx.ExecuteActivity<std::string>("ValidateOrder", options, order));
  }
  steps.push_back(co_await ctx.ExecuteActivity<std::string>("ProcessOrder", options, order));
  co_return nlohmann::json{{"order", order}, {"version", version}, {"steps", steps}};
}

}  // namespace

void RegisterVersioned(Worker& worker) {
  worker.RegisterWorkflow("Versioned", Versioned);
  worker.RegisterActivity("ValidateOrder", ValidateOrder);
  worker.RegisterActivity("ProcessOrder", ProcessOrder);
}

}  // namespace weft::samples
