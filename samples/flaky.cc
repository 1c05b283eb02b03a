// Flaky: an activity that fails its first n attempts. The server retries it (200 ms, then
// doubling up to 2 s); only the final outcome is in history.
#include <chrono>
#include <string>

#include "samples.h"
#include "weft/workflow.h"

namespace weft::samples {
namespace {

int FlakyActivity(ActivityContext& ctx, int failures) {
  if (ctx.Attempt() <= failures) {
    throw ApplicationError("attempt " + std::to_string(ctx.Attempt()) + " of " +
                               std::to_string(failures + 1) + " fails on purpose",
                           "Flaky");
  }
  return ctx.Attempt();
}

Workflow<int> Flaky(WorkflowContext& ctx, int failures) {
  int attempts = co_await ctx.ExecuteActivity<int>(
      "FlakyActivity",
      {.start_to_close = std::chrono::seconds(10),
       .retry_policy = RetryPolicy{.initial_interval = std::chrono::milliseconds(200),
                                   .backoff_coefficient = 2.0,
                                   .maximum_interval = std::chrono::seconds(2)}},
      failures);
  co_return attempts;
}

}  // namespace

void RegisterFlaky(Worker& worker) {
  worker.RegisterWorkflow("Flaky", Flaky);
  worker.RegisterActivity("FlakyActivity", FlakyActivity);
}

}  // namespace weft::samples
