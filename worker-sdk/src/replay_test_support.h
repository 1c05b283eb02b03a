// Helpers shared by the replayer's unit tests: a fixed execution, a one-call replay of a
// HistoryBuilder's history, and a readable description of a replay's outcome.
//
// Thread safety: pure functions. Tests only.
#ifndef WEFT_WORKER_SDK_SRC_REPLAY_TEST_SUPPORT_H_
#define WEFT_WORKER_SDK_SRC_REPLAY_TEST_SUPPORT_H_

#include <string>

#include "history_builder_for_test.h"
#include "replayer.h"
#include "weft/workflow_definition.h"

namespace weft::testing {

inline api::v1::WorkflowExecution Execution() {
  api::v1::WorkflowExecution e;
  e.set_workflow_id("wf-1");
  e.set_run_id("run-1");
  return e;
}

inline ReplayResult Replay(const WorkflowDefinition& def, const HistoryBuilder& h) {
  return Replayer(def).Replay(h.history(), Execution(), "default");
}

inline std::string Describe(const ReplayResult& r) {
  std::string out = r.task_failed ? "task failed: " + r.message : "commands:";
  for (const auto& c : r.commands) out += " " + c.ShortDebugString();
  return out;
}

}  // namespace weft::testing

#endif  // WEFT_WORKER_SDK_SRC_REPLAY_TEST_SUPPORT_H_
