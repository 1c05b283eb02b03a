// HeartbeatingActivity: a long activity that records its progress in heartbeats. When an
// attempt fails (here: the first attempt fails on purpose at step `fail_at`), the server
// retries it and the next attempt resumes from the last progress the server got, instead
// of starting over.
//
//   weft workflow start -q samples -t HeartbeatingActivity --input '{"steps":5}'
//   -> {"steps_done": 5, "attempt": 2, "resumed_from": 3}
//
// Input: {"steps": N, "fail_at": K, "step_ms": M}; no input: 5 steps of 300 ms, the first
// attempt failing after step 3 (fail_at 0: no failure).
#include <chrono>
#include <string>
#include <thread>

#include "samples.h"
#include "weft/workflow.h"

namespace weft::samples {
namespace {

struct StepsInput {
  int steps = 5;
  int fail_at = 3;
  int step_ms = 300;
};
void from_json(const nlohmann::json& j, StepsInput& in) {
  if (j.is_number_integer()) {
    in.steps = j.get<int>();
    return;
  }
  if (!j.is_object()) return;
  in.steps = j.value("steps", in.steps);
  in.fail_at = j.value("fail_at", in.fail_at);
  in.step_ms = j.value("step_ms", in.step_ms);
}
void to_json(nlohmann::json& j, const StepsInput& in) {
  j = {{"steps", in.steps}, {"fail_at", in.fail_at}, {"step_ms", in.step_ms}};
}

nlohmann::json CountSteps(ActivityContext& ctx, StepsInput in) {
  // The progress of the previous attempt, if it heartbeated.
  const int resumed_from = ctx.HeartbeatDetails<int>().value_or(0);
  for (int step = resumed_from + 1; step <= in.steps; ++step) {
    if (ctx.IsCancelRequested()) throw CanceledError("CountSteps canceled");
    std::this_thread::sleep_for(std::chrono::milliseconds(in.step_ms));  // the "work"
    ctx.Heartbeat(step);
    if (ctx.Attempt() == 1 && step == in.fail_at) {
      throw ApplicationError("attempt 1 fails on purpose after step " + std::to_string(step),
                             "SimulatedCrash");
    }
  }
  return {{"steps_done", in.steps}, {"attempt", ctx.Attempt()}, {"resumed_from", resumed_from}};
}

Workflow<nlohmann::json> HeartbeatingActivity(WorkflowContext& ctx, StepsInput in) {
  const auto budget = std::chrono::milliseconds(in.steps * in.step_ms) + std::chrono::seconds(10);
  const ActivityOptions options{
      .start_to_close = budget,
      .heartbeat_timeout = std::chrono::seconds(5),
      .retry_policy =
          RetryPolicy{.initial_interval = std::chrono::milliseconds(200), .maximum_attempts = 3}};
  co_return co_await ctx.ExecuteActivity<nlohmann::json>("CountSteps", options, in);
}

}  // namespace

void RegisterHeartbeatingActivity(Worker& worker) {
  worker.RegisterWorkflow("HeartbeatingActivity", HeartbeatingActivity);
  worker.RegisterActivity("CountSteps", CountSteps);
}

}  // namespace weft::samples
