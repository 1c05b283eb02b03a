// Greeting: one activity, then a durable one-second sleep.
#include <chrono>
#include <string>

#include "samples.h"
#include "weft/workflow.h"

namespace weft::samples {
namespace {

std::string ComposeGreeting(std::string name) { return "Hello, " + name + "!"; }

Workflow<std::string> Greeting(WorkflowContext& ctx, std::string name) {
  auto greeting = co_await ctx.ExecuteActivity<std::string>(
      "ComposeGreeting", {.start_to_close = std::chrono::seconds(10)}, name);
  co_await ctx.Sleep(std::chrono::seconds(1));
  co_return greeting;
}

}  // namespace

void RegisterGreeting(Worker& worker) {
  worker.RegisterWorkflow("Greeting", Greeting);
  worker.RegisterActivity("ComposeGreeting", ComposeGreeting);
}

}  // namespace weft::samples
