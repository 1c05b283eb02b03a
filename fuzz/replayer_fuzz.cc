// libFuzzer target: history decoding in the SDK's replayer. The input is parsed as a History
// and replayed through a workflow that uses activities, timers and signals; a hostile or
// corrupt history must end in commands or a failed task, never a crash.
#include <google/protobuf/stubs/logging.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "replayer.h"
#include "weft/workflow.h"
#include "weft/workflow_definition.h"

namespace {

weft::Workflow<std::string> Fuzzed(weft::WorkflowContext& ctx, std::string name) {
  auto greeting = co_await ctx.ExecuteActivity<std::string>(
      "Compose", {.start_to_close = std::chrono::seconds(10)}, name);
  co_await ctx.Sleep(std::chrono::seconds(1));
  auto approval = co_await ctx.GetSignalChannel("approve").Receive<std::string>();
  co_return greeting + approval;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const weft::WorkflowDefinition* def =
      new weft::WorkflowDefinition(weft::WorkflowDefinition::FromFunction("Fuzzed", Fuzzed));
  weft::api::v1::History history;
  if (!history.ParseFromArray(data, static_cast<int>(size))) return 0;
  weft::api::v1::WorkflowExecution execution;
  execution.set_workflow_id("wf");
  execution.set_run_id("run");
  (void)weft::Replayer(*def).Replay(history, execution, "default");
  return 0;
}
