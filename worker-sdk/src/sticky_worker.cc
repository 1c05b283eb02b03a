// The worker's side of sticky execution: answering a workflow task from the cached run when
// the server sent only the new events, falling back to the whole history otherwise. Part of
// weft::Worker; see weft/worker.h.
#include <chrono>

#include "absl/strings/str_cat.h"
#include "weft/worker.h"
#include "worker_metrics.h"
#include "workflow_cache.h"
#include "workflow_instance.h"

namespace weft {
namespace {

constexpr auto kFetchDeadline = std::chrono::seconds(10);
constexpr auto kResetDeadline = std::chrono::seconds(2);

// A fresh instance fed the run's whole history.
ReplayResult ReplayFull(const WorkflowDefinition& definition, const api::v1::History& history,
                        const api::v1::WorkflowExecution& execution, std::string_view ns,
                        std::unique_ptr<WorkflowInstance>* instance) {
  if (history.events_size() == 0 ||
      history.events(0).event_type() != api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
    ReplayResult r;
    r.task_failed = true;
    r.cause = api::v1::WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE;
    r.message = "history does not start with WorkflowExecutionStarted";
    return r;
  }
  auto fresh = std::make_unique<WorkflowInstance>(definition, history.events(0), execution, ns);
  std::optional<ReplayResult> r = fresh->Advance(history, 1, nullptr, nullptr);
  if (!r) {  // a fresh instance ran no task live, so it cannot find its answer refused
    ReplayResult failed;
    failed.task_failed = true;
    failed.cause = api::v1::WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE;
    failed.message = "internal error: a fresh replay refused its history";
    return failed;
  }
  *instance = std::move(fresh);
  return std::move(*r);
}

}  // namespace

StickyStats Worker::sticky_stats() const {
  StickyStats s;
  s.full_history_tasks = full_history_tasks_.load();
  s.partial_history_tasks = partial_history_tasks_.load();
  s.cache_hits = cache_hits_.load();
  s.cache_misses = cache_misses_.load();
  s.evictions = evictions_.load();
  return s;
}

ReplayResult Worker::RunWorkflowTask(const WorkflowDefinition& definition,
                                     const api::v1::PollWorkflowTaskQueueResponse& task,
                                     std::unique_ptr<WorkflowInstance>* instance) {
  const api::v1::WorkflowExecution& execution = task.workflow_execution();
  if (!task.partial_history()) {
    ++full_history_tasks_;
    // Whatever this worker still holds of the run is older than this history (its last answer
    // was refused, or the task came through the normal queue): start over.
    if (cache_) cache_->Erase(execution.run_id());
    return ReplayFull(definition, task.history(), execution, client_.ns(), instance);
  }
  ++partial_history_tasks_;
  std::unique_ptr<WorkflowInstance> cached = cache_ ? cache_->Take(execution.run_id()) : nullptr;
  if (cached && cached->reusable() &&
      cached->last_started_event_id() == task.previous_started_event_id()) {
    std::optional<ReplayResult> r = cached->Advance(task.history(), 0, nullptr, nullptr);
    if (r) {
      ++cache_hits_;
      if (metrics_) metrics_->RecordStickyCacheHit();
      *instance = std::move(cached);
      return std::move(*r);
    }
  }
  // Not cached here (evicted, or this worker never ran it), or the cached state is not the
  // run's: replay the whole history.
  ++cache_misses_;
  if (metrics_) metrics_->RecordStickyCacheMiss();
  cached.reset();
  api::v1::History history;
  if (absl::Status s = FetchHistory(execution, task.started_event_id(), &history); !s.ok()) {
    ReplayResult r;
    r.task_failed = true;
    // The server answers this cause by sending the retry to the normal queue, whole history.
    r.cause = api::v1::WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE;
    r.message = absl::StrCat(
        "sticky task of a run not in the cache, and its history could not "
        "be fetched: ",
        s.ToString());
    return r;
  }
  return ReplayFull(definition, history, execution, client_.ns(), instance);
}

absl::Status Worker::FetchHistory(const api::v1::WorkflowExecution& execution,
                                  int64_t last_event_id, api::v1::History* history) {
  api::v1::GetWorkflowExecutionHistoryRequest req;
  req.set_namespace_(client_.ns());
  *req.mutable_execution() = execution;
  while (true) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kFetchDeadline);
    api::v1::GetWorkflowExecutionHistoryResponse resp;
    grpc::Status status = client_.stub().GetWorkflowExecutionHistory(&ctx, req, &resp);
    if (!status.ok()) {
      if (metrics_) metrics_->RecordRpcError("GetWorkflowExecutionHistory", status.error_code());
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat("GetWorkflowExecutionHistory: ", status.error_message()));
    }
    for (auto& e : *resp.mutable_history()->mutable_events()) {
      if (e.event_id() > last_event_id) break;
      *history->add_events() = std::move(e);
    }
    const int n = history->events_size();
    if (n > 0 && history->events(n - 1).event_id() >= last_event_id) break;
    if (resp.next_page_token().empty() || resp.history().events_size() == 0) break;
    req.set_next_page_token(resp.next_page_token());
  }
  const int n = history->events_size();
  if (n == 0 || history->events(n - 1).event_id() != last_event_id ||
      history->events(n - 1).event_type() != api::v1::EVENT_TYPE_WORKFLOW_TASK_STARTED) {
    return absl::FailedPreconditionError(absl::StrCat("the history of ", execution.workflow_id(),
                                                      " does not end with the task's "
                                                      "WorkflowTaskStarted event ",
                                                      last_event_id));
  }
  return absl::OkStatus();
}

void Worker::ResetStickyTaskQueue(const RunCacheKey& run) {
  if (skip_resets_) return;
  api::v1::ResetStickyTaskQueueRequest req;
  req.set_namespace_(client_.ns());
  req.mutable_execution()->set_workflow_id(run.workflow_id);
  req.mutable_execution()->set_run_id(run.run_id);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kResetDeadline);
  api::v1::ResetStickyTaskQueueResponse resp;
  grpc::Status status = client_.stub().ResetStickyTaskQueue(&ctx, req, &resp);
  if (!status.ok() && metrics_) {
    metrics_->RecordRpcError("ResetStickyTaskQueue", status.error_code());
  }
  // Failing is harmless: the run's next task then waits out the sticky timeout.
  if (!status.ok() && status.error_code() != grpc::StatusCode::NOT_FOUND) {
    Log(absl::StrCat("ResetStickyTaskQueue of ", run.workflow_id, " failed (", status.error_code(),
                     ": ", status.error_message(), ")"));
    // At shutdown, with the whole cache to hand back, do not wait on a gone server per run.
    if (stopping()) skip_resets_ = true;
  }
}

}  // namespace weft
