// WorkflowInstance: one run's workflow coroutine and its runtime, kept alive between workflow
// tasks. The Replayer builds a fresh one per task and feeds it the whole history; with sticky
// execution the worker keeps the instance of each run it answered in its cache and feeds it
// only the events after the task it ran last (a poll response with partial_history). Both go
// through the same Advance(), so a continued instance issues exactly the commands a full
// replay would.
//
//   WorkflowInstance run(definition, history.events(0), execution, "default");
//   ReplayResult first = *run.Advance(history, 1, nullptr, nullptr);   // full history
//   ... the server records the commands; the next task brings only the new events:
//   std::optional<ReplayResult> next = run.Advance(partial, 0, nullptr, nullptr);
//   if (!next) ...  // the previous answer was not accepted: replay the full history instead
//
// Thread safety: none; one task at a time (the worker's cache hands an instance to one
// thread). The definition must outlive the instance.
#ifndef WEFT_SDK_SRC_WORKFLOW_INSTANCE_H_
#define WEFT_SDK_SRC_WORKFLOW_INSTANCE_H_

#include <exception>
#include <optional>
#include <string_view>
#include <vector>

#include "replayer.h"
#include "weft/workflow.h"
#include "weft/workflow_context.h"
#include "workflow_runtime.h"

namespace weft {

class WorkflowInstance {
 public:
  // `started` is the run's WorkflowExecutionStarted event (the caller checked its type).
  WorkflowInstance(const WorkflowDefinition& definition, const api::v1::HistoryEvent& started,
                   const api::v1::WorkflowExecution& execution, std::string_view namespace_name);
  WorkflowInstance(const WorkflowInstance&) = delete;
  WorkflowInstance& operator=(const WorkflowInstance&) = delete;

  // Feeds history.events(first..) in order. A WorkflowTaskStarted as the last event runs the
  // current task live and returns its commands (unless `query` is set: then the query is
  // answered into *query_result from the state reached). nullopt when the events show that
  // the task this instance ran live was not accepted (it failed or timed out): the instance
  // is then unusable and the caller replays the full history with a fresh one.
  std::optional<ReplayResult> Advance(const api::v1::History& history, int first,
                                      const api::v1::WorkflowQuery* query,
                                      QueryResult* query_result);

  // The started event id of the task this instance ran live last; 0 if none.
  int64_t last_started_event_id() const { return live_started_event_id_; }
  // Whether the events of the run's next workflow task may continue this instance: it ran
  // the last task live, did not fail, and the run has not closed.
  bool reusable() const {
    return live_started_event_id_ != 0 && !closed_ && !runtime_.failed() && undelivered_.empty();
  }

 private:
  // Runs the workflow code for one task; false when it diverged from history.
  bool RunTask(bool replaying, int64_t completed_event_id,
               std::vector<const api::v1::HistoryEvent*> expected);

  // Declared in this order so the coroutine frames die before the runtime they point into.
  detail::WorkflowRuntime runtime_;
  WorkflowContext ctx_;
  std::optional<Workflow<api::v1::Payloads>> root_;
  std::exception_ptr start_error_;
  bool root_scheduled_ = false;
  bool closed_ = false;
  // Events since the code last ran; they point into the history of the current Advance().
  std::vector<const api::v1::HistoryEvent*> undelivered_;
  google::protobuf::Timestamp task_started_time_;
  int64_t live_started_event_id_ = 0;
};

}  // namespace weft

#endif  // WEFT_SDK_SRC_WORKFLOW_INSTANCE_H_
