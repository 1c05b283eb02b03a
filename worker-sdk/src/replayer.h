// Replayer: runs one workflow task by replaying the run's full history through a fresh
// instance of the workflow coroutine, and returns the commands of the current task or why
// the task must fail. No I/O: the worker feeds it the history from a poll, tests feed it
// hand-built histories.
//
// Following docs/architecture/worker-protocol.md, the code runs once per WorkflowTaskStarted
// whose task completed (and once more for the last, current task), after the events since
// the previous run are delivered in history order. Tasks that failed or timed out are not
// run: their events are delivered with the next run. Commands issued while replaying a
// completed task must match, in order, the command events recorded after its
// WorkflowTaskCompleted, or the task fails with NON_DETERMINISTIC_ERROR. Query() replays the
// same way and then answers a query from the state reached.
//
// Thread safety: Replay() is const and keeps no state between calls; call it from any thread.
// The definition must outlive the Replayer.
#ifndef WEFT_SDK_SRC_REPLAYER_H_
#define WEFT_SDK_SRC_REPLAYER_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/api/v1/command.pb.h"
#include "weft/api/v1/common.pb.h"
#include "weft/api/v1/enums.pb.h"
#include "weft/api/v1/history.pb.h"
#include "weft/api/v1/workflow_service.pb.h"
#include "weft/workflow_definition.h"

namespace weft {

struct ReplayResult {
  // true: respond RespondWorkflowTaskFailed(cause, message); false: send `commands`.
  bool task_failed = false;
  api::v1::WorkflowTaskFailedCause cause = api::v1::WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED;
  std::string message;
  std::vector<api::v1::Command> commands;
  // Set when the task's code ran live: the time spent before that, delivering the recorded
  // events and re-running the completed tasks (the worker's replay-time metric).
  std::optional<std::chrono::nanoseconds> replay_time;
};

// The answer to a query task.
struct QueryResult {
  bool answered = false;     // true: RespondQueryTaskCompleted(ANSWERED, result)
  api::v1::Payloads result;  // the handler's value
  std::string error;         // when not answered: why (unknown query type, handler threw, ...)
};

class Replayer {
 public:
  explicit Replayer(const WorkflowDefinition& definition) : definition_(definition) {}

  // `execution` names the run (its run id seeds ctx.Random()).
  ReplayResult Replay(const api::v1::History& history, const api::v1::WorkflowExecution& execution,
                      std::string_view namespace_name) const;

  // Replays `history` for a query task (running the code only at completed workflow tasks,
  // plus once after the last events when no task is in flight, its commands dropped) and runs
  // the handler of `query`.
  QueryResult Query(const api::v1::History& history, const api::v1::WorkflowExecution& execution,
                    std::string_view namespace_name, const api::v1::WorkflowQuery& query) const;

 private:
  ReplayResult Run(const api::v1::History& history, const api::v1::WorkflowExecution& execution,
                   std::string_view namespace_name, const api::v1::WorkflowQuery* query,
                   QueryResult* query_result) const;

  const WorkflowDefinition& definition_;
};

}  // namespace weft

#endif  // WEFT_SDK_SRC_REPLAYER_H_
