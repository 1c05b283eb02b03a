// GuardedDownstream: an activity that calls a "downstream" which can be taken down and
// brought back from outside, to watch the server-side circuit breaker of its namespace hold
// attempts back while the downstream is down (see `weft namespace update --breaker-enabled`,
// `weft breaker describe --activity-type CallDownstream`).
//
//   echo down > /tmp/downstream
//   weft workflow start -q samples -t GuardedDownstream \
//       --input '{"downstream":"/tmp/downstream","log":"/tmp/calls"}'
//   weft breaker describe --activity-type CallDownstream     # OPEN after enough failures
//   echo up > /tmp/downstream                                # -> "ok" once a probe succeeds
//
// Input: {"downstream": FILE, "log": FILE}. The downstream is down while FILE holds "down";
// every call appends one line to the log (so tests can count the calls that got through).
// No input: a downstream that is always up.
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "samples.h"
#include "weft/workflow.h"

namespace weft::samples {
namespace {

struct DownstreamInput {
  std::string downstream;
  std::string log;
};
void from_json(const nlohmann::json& j, DownstreamInput& in) {
  if (!j.is_object()) return;
  in.downstream = j.value("downstream", in.downstream);
  in.log = j.value("log", in.log);
}
void to_json(nlohmann::json& j, const DownstreamInput& in) {
  j = {{"downstream", in.downstream}, {"log", in.log}};
}

std::string CallDownstream(ActivityContext& ctx, DownstreamInput in) {
  if (!in.log.empty()) {
    std::ofstream log(in.log, std::ios::app);
    log << ctx.Info().workflow_id << " attempt " << ctx.Attempt() << "\n";
  }
  std::string state;
  if (!in.downstream.empty()) {
    std::ifstream f(in.downstream);
    f >> state;
  }
  if (state == "down") {
    throw ApplicationError("the downstream is down (" + in.downstream + " says so)",
                           "DownstreamUnavailable");
  }
  return "ok";
}

Workflow<std::string> GuardedDownstream(WorkflowContext& ctx, DownstreamInput in) {
  // Retried without limit: the breaker, not the retry policy, keeps the downstream from
  // being hammered while it is down.
  co_return co_await ctx.ExecuteActivity<std::string>(
      "CallDownstream",
      {.start_to_close = std::chrono::seconds(10),
       .retry_policy = RetryPolicy{.initial_interval = std::chrono::milliseconds(100),
                                   .backoff_coefficient = 2.0,
                                   .maximum_interval = std::chrono::milliseconds(500)}},
      in);
}

}  // namespace

void RegisterGuardedDownstream(Worker& worker) {
  worker.RegisterWorkflow("GuardedDownstream", GuardedDownstream);
  worker.RegisterActivity("CallDownstream", CallDownstream);
}

}  // namespace weft::samples
