// CancellableSaga: books a flight, a hotel and a car, each with a compensation. If a booking
// fails or the workflow is canceled, the compensations of the steps booked so far run in
// reverse order, in a detached cancellation scope (so that the cancel does not cancel them).
//
//   weft workflow start -q samples -t CancellableSaga                      (all booked)
//   weft workflow start -q samples -t CancellableSaga --input '{"fail_at":2}'
//   -> {"status": "compensated", "log": ["booked flight", "failed hotel: ...",
//       "canceled flight"]}
//   weft workflow start -q samples -t CancellableSaga -w trip --input '{"step_ms":5000}'
//   weft workflow cancel -w trip       (closes as canceled after compensating, with the log
//                                       as the cancellation's details)
//   weft workflow query -w trip --name log
//
// Input: {"fail_at": K (1..3, 0 = none), "step_ms": pause before each booking}.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "samples.h"
#include "weft/workflow.h"

namespace weft::samples {
namespace {

struct SagaInput {
  int fail_at = 0;
  int step_ms = 0;
};
void from_json(const nlohmann::json& j, SagaInput& in) {
  if (!j.is_object()) return;
  in.fail_at = j.value("fail_at", 0);
  in.step_ms = j.value("step_ms", 0);
}

std::string BookStep(std::string step, bool fail) {
  if (fail) throw ApplicationError("no " + step + " available", "BookingFailed", true);
  return "booked " + step;
}

std::string CancelStep(std::string step) { return "canceled " + step; }

Workflow<nlohmann::json> CancellableSaga(WorkflowContext& ctx, SagaInput in) {
  const std::vector<std::string> steps = {"flight", "hotel", "car"};
  const ActivityOptions options{.start_to_close = std::chrono::seconds(10)};
  auto log = std::make_shared<std::vector<std::string>>();
  ctx.SetQueryHandler("log", [log] { return *log; });

  std::vector<std::string> booked;
  bool canceled = false;
  bool failed = false;
  for (size_t i = 0; i < steps.size() && !canceled && !failed; ++i) {
    try {
      if (in.step_ms > 0) co_await ctx.Sleep(std::chrono::milliseconds(in.step_ms));
      const bool fail = in.fail_at == static_cast<int>(i) + 1;
      log->push_back(
          co_await ctx.ExecuteActivity<std::string>("BookStep", options, steps[i], fail));
      booked.push_back(steps[i]);
    } catch (const CanceledError&) {
      canceled = true;
      log->push_back("cancel requested before " + steps[i]);
    } catch (const ActivityError& e) {
      failed = true;
      log->push_back("failed " + steps[i] + ": " + e.what());
    }
  }
  if (!canceled && !failed) co_return nlohmann::json{{"status", "booked"}, {"log", *log}};

  // Compensate in reverse, detached: the cancel request canceled the root scope, not this.
  CancellationScope cleanup = ctx.NewDetachedCancellationScope();
  for (auto it = booked.rbegin(); it != booked.rend(); ++it) {
    log->push_back(
        co_await cleanup.context().ExecuteActivity<std::string>("CancelStep", options, *it));
  }
  if (canceled) throw CanceledError("trip canceled after compensating", ToPayloads(*log));
  co_return nlohmann::json{{"status", "compensated"}, {"log", *log}};
}

}  // namespace

void RegisterCancellableSaga(Worker& worker) {
  worker.RegisterWorkflow("CancellableSaga", CancellableSaga);
  worker.RegisterActivity("BookStep", BookStep);
  worker.RegisterActivity("CancelStep", CancelStep);
}

}  // namespace weft::samples
