// Sleep: a durable timer. The run survives worker and server restarts while it sleeps.
#include <chrono>
#include <cmath>

#include "samples.h"
#include "weft/workflow.h"

namespace weft::samples {
namespace {

// Takes and returns the JSON number as given, so 3 comes back as 3, not 3.0.
Workflow<nlohmann::json> Sleep(WorkflowContext& ctx, nlohmann::json seconds) {
  if (!seconds.is_number() || seconds.get<double>() < 0) {
    throw ApplicationError("Sleep expects a non-negative number of seconds", "InvalidArgument",
                           true);
  }
  co_await ctx.Sleep(std::chrono::milliseconds(std::llround(seconds.get<double>() * 1000)));
  co_return seconds;
}

}  // namespace

void RegisterSleep(Worker& worker) { worker.RegisterWorkflow("Sleep", Sleep); }

}  // namespace weft::samples
