#include "replayer.h"

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <typeinfo>

#include "absl/strings/str_cat.h"
#include "proto_time.h"
#include "weft/errors.h"
#include "workflow_instance.h"

namespace weft {

ReplayResult Replayer::Replay(const api::v1::History& history,
                              const api::v1::WorkflowExecution& execution,
                              std::string_view namespace_name) const {
  return Run(history, execution, namespace_name, nullptr, nullptr);
}

QueryResult Replayer::Query(const api::v1::History& history,
                            const api::v1::WorkflowExecution& execution,
                            std::string_view namespace_name,
                            const api::v1::WorkflowQuery& query) const {
  QueryResult out;
  ReplayResult replay = Run(history, execution, namespace_name, &query, &out);
  if (replay.task_failed) {
    out.answered = false;
    out.error = absl::StrCat("replay failed: ", replay.message);
  }
  return out;
}

ReplayResult Replayer::Run(const api::v1::History& history,
                           const api::v1::WorkflowExecution& execution,
                           std::string_view namespace_name, const api::v1::WorkflowQuery* query,
                           QueryResult* query_result) const {
  ReplayResult result;
  if (history.events_size() == 0 ||
      history.events(0).event_type() != api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
    result.task_failed = true;
    result.cause = api::v1::WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE;
    result.message = "history does not start with WorkflowExecutionStarted";
    return result;
  }
  // The same code path as a cached (sticky) instance continued with new events.
  WorkflowInstance instance(definition_, history.events(0), execution, namespace_name);
  std::optional<ReplayResult> advanced = instance.Advance(history, 1, query, query_result);
  if (advanced) return std::move(*advanced);
  result.task_failed = true;  // cannot happen: a fresh instance ran no task live
  result.cause = api::v1::WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE;
  result.message = "internal error: a fresh replay refused its history";
  return result;
}

}  // namespace weft
