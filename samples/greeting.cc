// Greeting: one activity, then a durable one-second sleep.
#include <chrono>
#include <string>

#include "samples.h"
#include "weft/workflow.h"

namespace weft::samples {
namespace {

// Logs through the context: the line carries the workflow's ids and the trace the start
// request began (trace_id), so a trace id finds the activity's work in the worker's log.
std::string ComposeGreeting(ActivityContext& ctx, std::string name) {
  ctx.logger().Info("composing greeting", {{"name", name}});
  return "Hello, " + name + "!";
}

Workflow<std::string> Greeting(WorkflowContext& ctx, std::string name) {
  auto greeting = co_await ctx.ExecuteActivity<std::string>(
      "ComposeGreeting", {.start_to_close = std::chrono::seconds(10)}, name);
  ctx.logger().Info("greeting composed; sleeping 1s before returning it");
  co_await ctx.Sleep(std::chrono::seconds(1));
  co_return greeting;
}

}  // namespace

void RegisterGreeting(Worker& worker) {
  worker.RegisterWorkflow("Greeting", Greeting);
  worker.RegisterActivity("ComposeGreeting", ComposeGreeting);
}

}  // namespace weft::samples
