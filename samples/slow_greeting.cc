// SlowGreeting: a long activity that heartbeats, so a crashed worker is noticed within the
// heartbeat timeout and a cancellation reaches it. Input {"name", "seconds",
// "heartbeat_timeout_seconds" (default 1; 0: none, so only start-to-close notices a crash)}.
#include <chrono>
#include <string>
#include <thread>

#include "samples.h"
#include "weft/workflow.h"

namespace weft::samples {
namespace {

struct SlowGreetingInput {
  std::string name;
  double seconds = 0;
  double heartbeat_timeout_seconds = 1;
};
void from_json(const nlohmann::json& j, SlowGreetingInput& in) {
  j.at("name").get_to(in.name);
  in.seconds = j.value("seconds", 0.0);
  in.heartbeat_timeout_seconds = j.value("heartbeat_timeout_seconds", 1.0);
}
void to_json(nlohmann::json& j, const SlowGreetingInput& in) {
  j = {{"name", in.name},
       {"seconds", in.seconds},
       {"heartbeat_timeout_seconds", in.heartbeat_timeout_seconds}};
}

std::string SlowCompose(ActivityContext& ctx, SlowGreetingInput in) {
  // Activities may sleep: they are ordinary code on a worker thread, not replayed.
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(static_cast<int64_t>(in.seconds * 1000));
  int beats = ctx.HeartbeatDetails<int>().value_or(0);
  while (std::chrono::steady_clock::now() < end) {
    if (ctx.IsCancelRequested()) throw CanceledError("SlowCompose canceled");
    ctx.Heartbeat(++beats);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return "Hello, " + in.name + "!";
}

Workflow<std::string> SlowGreeting(WorkflowContext& ctx, SlowGreetingInput in) {
  auto timeout =
      std::chrono::milliseconds(static_cast<int64_t>(in.seconds * 1000)) + std::chrono::seconds(2);
  co_return co_await ctx.ExecuteActivity<std::string>(
      "SlowCompose",
      {.start_to_close = timeout,
       .heartbeat_timeout =
           std::chrono::milliseconds(static_cast<int64_t>(in.heartbeat_timeout_seconds * 1000))},
      in);
}

}  // namespace

void RegisterSlowGreeting(Worker& worker) {
  worker.RegisterWorkflow("SlowGreeting", SlowGreeting);
  worker.RegisterActivity("SlowCompose", SlowCompose);
}

}  // namespace weft::samples
