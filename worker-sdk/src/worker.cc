#include "weft/worker.h"

#include <cxxabi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <type_traits>
#include <typeinfo>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "activity_executor.h"
#include "call_retry.h"
#include "metrics_exporter.h"
#include "proto_time.h"
#include "replayer.h"
#include "trace_support.h"
#include "uuid.h"
#include "weft/errors.h"
#include "worker_metrics.h"
#include "workflow_cache.h"
#include "workflow_instance.h"

namespace weft {
namespace {

// The server holds a long poll for up to 60 s; past this a silent connection is dead.
constexpr auto kPollDeadline = std::chrono::seconds(70);
constexpr auto kRespondDeadline = std::chrono::seconds(10);
constexpr absl::Duration kInitialBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(2);

std::string TypeName(const std::exception& e) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status), std::free);
  return status == 0 && demangled ? std::string(demangled.get()) : typeid(e).name();
}

api::v1::Failure MakeFailure(const std::string& message, const std::string& type,
                             bool non_retryable) {
  api::v1::Failure f;
  f.set_message(message);
  f.set_type(type);
  f.set_non_retryable(non_retryable);
  return f;
}

void SetDeadline(grpc::ClientContext* ctx, std::chrono::seconds d) {
  ctx->set_deadline(std::chrono::system_clock::now() + d);
}

template <typename Map>
std::string Names(const Map& m) {
  std::vector<std::string> names;
  for (const auto& [name, unused] : m) names.push_back(name);
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

// One long poll's result and wait in the worker's metrics.
template <typename Response>
void RecordPoll(WorkerMetrics& metrics, const Response& response, const grpc::Status& status,
                std::chrono::steady_clock::time_point start) {
  constexpr bool kActivity = std::is_same_v<Response, api::v1::PollActivityTaskQueueResponse>;
  const auto kind = kActivity ? WorkerMetrics::Kind::kActivity : WorkerMetrics::Kind::kWorkflow;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!status.ok()) {
    metrics.RecordPoll(kind, WorkerMetrics::PollResult::kError, seconds);
    metrics.RecordRpcError(kActivity ? "PollActivityTaskQueue" : "PollWorkflowTaskQueue",
                           status.error_code());
    return;
  }
  metrics.RecordPoll(kind,
                     response.task_token().empty() ? WorkerMetrics::PollResult::kEmpty
                                                   : WorkerMetrics::PollResult::kTask,
                     seconds);
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A workflow task's answer in the worker's metrics: by the answer the worker sends, not by
// whether the server still wanted it (a refused answer shows in the RPC errors).
void RecordWorkflowTask(WorkerMetrics& metrics, const std::string& type, const ReplayResult& result,
                        double seconds) {
  metrics.RecordWorkflowTask(type, !result.task_failed, seconds);
  if (result.task_failed &&
      result.cause == api::v1::WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR) {
    metrics.RecordNondeterminismError(type);
  }
  if (result.replay_time) {
    metrics.RecordReplay(type, std::chrono::duration<double>(*result.replay_time).count());
  }
}

}  // namespace

Worker::Worker(Client& client, WorkerOptions options)
    : client_(client), options_(std::move(options)), breakers_(options_.circuit_breaker) {
  if (options_.identity.empty()) options_.identity = client_.identity();
  if (options_.max_concurrent_workflow_tasks < 1) options_.max_concurrent_workflow_tasks = 1;
  if (options_.max_concurrent_activities < 1) options_.max_concurrent_activities = 1;
  options_.max_concurrent_activity_task_pollers = std::clamp(
      options_.max_concurrent_activity_task_pollers, 1, options_.max_concurrent_activities);
  if (options_.max_cached_workflows > 0) {
    // Unique per worker: a restarted process must not take its predecessor's sticky tasks
    // (it has none of their state), and two workers of one process keep separate caches.
    sticky_task_queue_ = absl::StrCat(options_.identity, ":", detail::RandomUuid());
    cache_ = std::make_unique<RunCache<WorkflowInstance>>(
        static_cast<size_t>(options_.max_cached_workflows), [this](const RunCacheKey& run) {
          ++evictions_;
          if (metrics_) metrics_->RecordStickyCacheEviction();
          ResetStickyTaskQueue(run);
        });
  }
}

Worker::~Worker() { Shutdown(); }

void Worker::RegisterWorkflowDefinition(WorkflowDefinition definition) {
  std::string name = definition.name();
  workflows_.insert_or_assign(std::move(name), std::move(definition));
}

void Worker::RegisterActivityDefinition(ActivityDefinition definition) {
  std::string name = definition.name();
  activities_.insert_or_assign(std::move(name), std::move(definition));
}

absl::Status Worker::Start() {
  absl::MutexLock lock(&mu_);
  if (started_) return absl::FailedPreconditionError("Worker: already started");
  if (options_.task_queue.empty()) return absl::FailedPreconditionError("Worker: no task queue");
  if (workflows_.empty() && activities_.empty()) {
    return absl::FailedPreconditionError("Worker: nothing registered");
  }
  if (auto s =
          detail::ConfigureSdkLogging(options_.log_level, options_.log_format, options_.identity);
      !s.ok()) {
    return s;
  }
  if (!options_.metrics_address.empty()) {
    if (absl::Status s = StartMetrics(); !s.ok()) return s;
  }
  started_ = true;
  // Pollers only for what this worker can run, as a worker with no activities must not take
  // activity tasks from the queue.
  if (!workflows_.empty()) {
    for (int i = 0; i < options_.max_concurrent_workflow_tasks; ++i) {
      threads_.emplace_back([this] { WorkflowLoop(); });
      if (cache_) threads_.emplace_back([this] { StickyWorkflowLoop(); });
    }
  }
  if (!activities_.empty()) {
    activity_executor_ =
        std::make_unique<detail::ActivityExecutor>(options_.max_concurrent_activities);
    for (int i = 0; i < options_.max_concurrent_activity_task_pollers; ++i) {
      threads_.emplace_back([this] { ActivityLoop(); });
    }
  }
  return absl::OkStatus();
}

absl::Status Worker::Run() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return absl::OkStatus();
  }
  absl::Status status = Start();
  if (!status.ok() && !absl::IsFailedPrecondition(status)) return status;
  {
    absl::MutexLock lock(&mu_);
    if (!started_) return status;
  }
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&stopped_));
  return absl::OkStatus();
}

void Worker::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopping_ = true;
    for (grpc::ClientContext* ctx : polls_) ctx->TryCancel();
    if (joining_) {
      // Another thread is joining; wait for it.
      mu_.Await(absl::Condition(&stopped_));
      return;
    }
    joining_ = true;
  }
  if (activity_executor_) activity_executor_->Stop();  // pollers waiting for a slot give up
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  // Activities in flight (polled or eager) finish and are answered.
  if (activity_executor_) activity_executor_->Join();
  // Nothing polls the sticky queue any more: send the cached runs' next tasks to the normal
  // queue now rather than after the sticky timeout.
  if (cache_) cache_->Clear();
  // Nothing runs any more: take this worker's slots and cached runs out of the gauges.
  if (metrics_) breakers_.SetObserver(nullptr);
  metrics_.reset();
  absl::MutexLock lock(&mu_);
  stopped_ = true;
}

bool Worker::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void Worker::Log(const std::string& line) const {
  detail::SdkLogger().Warn(line, {{"task_queue", options_.task_queue}});
}

template <typename Request, typename Response, typename Call>
bool Worker::Poll(const char* what, const Request& request, Response* response, Call call) {
  absl::Duration backoff = kInitialBackoff;
  while (true) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, kPollDeadline);
    // While the server is down, wait for the channel to reconnect instead of failing at once:
    // the poll then goes out the moment the server is back. A poll in flight when the
    // connection breaks still fails with UNAVAILABLE, which is logged and backed off.
    ctx.set_wait_for_ready(true);
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return false;
      polls_.insert(&ctx);
    }
    const auto poll_start = std::chrono::steady_clock::now();
    grpc::Status status = call(&ctx, request, response);
    // CANCELLED: this worker is shutting down and cancelled its own poll.
    if (metrics_ && status.error_code() != grpc::StatusCode::CANCELLED) {
      RecordPoll(*metrics_, *response, status, poll_start);
    }
    bool log_failure = false;
    bool log_recovery = false;
    {
      absl::MutexLock lock(&mu_);
      polls_.erase(&ctx);
      if (stopping_) return status.ok() && !response->task_token().empty();
      // One line per outage for the whole worker, not one per poller and retry.
      if (status.ok() && polls_failing_) {
        polls_failing_ = false;
        log_recovery = true;
      } else if (!status.ok() && status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED &&
                 !polls_failing_) {
        polls_failing_ = true;
        log_failure = true;
      }
    }
    if (log_recovery) Log(absl::StrCat(what, " succeeded again; polling resumed"));
    if (status.ok()) return true;
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) continue;
    if (log_failure) {
      Log(absl::StrCat(what, " failed (", status.error_code(), ": ", status.error_message(),
                       "); retrying with backoff up to ", absl::FormatDuration(kMaxBackoff)));
    }
    // A rate-limited poll waits as long as the server asks, at least.
    absl::Duration wait = status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED
                              ? std::max(backoff, detail::RetryAfter(ctx, backoff))
                              : backoff;
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
    if (stopping_) return false;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

template <typename Call>
bool Worker::Respond(const char* what, Call call) {
  absl::Duration backoff = kInitialBackoff;
  for (int attempt = 1;; ++attempt) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, kRespondDeadline);
    detail::AddCurrentTraceMetadata(&ctx);  // the task's span (TaskScope)
    grpc::Status status = call(&ctx);
    if (status.ok()) return true;
    if (metrics_) metrics_->RecordRpcError(what, status.error_code());
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) return false;  // no longer current
    const bool limited = status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
    if ((status.error_code() != grpc::StatusCode::UNAVAILABLE && !limited) || attempt >= 5) {
      Log(absl::StrCat(what, " failed (", status.error_code(), ": ", status.error_message(), ")"));
      return false;
    }
    absl::SleepFor(limited ? std::max(backoff, detail::RetryAfter(ctx, backoff)) : backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

template <typename Request, typename Response, typename Rpc, typename Handle>
void Worker::PollLoop(const char* what, Rpc rpc, Handle handle, const api::v1::TaskQueue* queue) {
  Request request;
  request.set_namespace_(client_.ns());
  request.mutable_task_queue()->set_name(options_.task_queue);
  if (queue != nullptr) *request.mutable_task_queue() = *queue;
  request.set_identity(options_.identity);
  if constexpr (std::is_same_v<Request, api::v1::PollActivityTaskQueueRequest>) {
    request.set_max_tasks_per_second(options_.max_task_queue_activities_per_second);
  }
  while (true) {
    Response task;
    bool got = Poll(what, request, &task, rpc);
    if (got && !task.task_token().empty()) handle(task);
    if (!got && stopping()) return;
  }
}

void Worker::WorkflowLoop() {
  PollLoop<api::v1::PollWorkflowTaskQueueRequest, api::v1::PollWorkflowTaskQueueResponse>(
      "PollWorkflowTaskQueue",
      [this](grpc::ClientContext* ctx, const auto& req, auto* resp) {
        return client_.stub().PollWorkflowTaskQueue(ctx, req, resp);
      },
      [this](const auto& task) { HandleWorkflowTask(task); });
}

void Worker::StickyWorkflowLoop() {
  api::v1::TaskQueue queue;
  queue.set_name(sticky_task_queue_);
  queue.set_kind(api::v1::TASK_QUEUE_KIND_STICKY);
  queue.set_normal_name(options_.task_queue);
  PollLoop<api::v1::PollWorkflowTaskQueueRequest, api::v1::PollWorkflowTaskQueueResponse>(
      "PollWorkflowTaskQueue (sticky)",
      [this](grpc::ClientContext* ctx, const auto& req, auto* resp) {
        return client_.stub().PollWorkflowTaskQueue(ctx, req, resp);
      },
      [this](const auto& task) { HandleWorkflowTask(task); }, &queue);
}

void Worker::ActivityLoop() {
  // A poll goes out only with a free slot; a task that comes back keeps it until it returns
  // (activity_executor.h), so polled and eager activities share one bound.
  PollLoop<api::v1::PollActivityTaskQueueRequest, api::v1::PollActivityTaskQueueResponse>(
      "PollActivityTaskQueue",
      [this](grpc::ClientContext* ctx, const auto& req, auto* resp) {
        if (!activity_executor_->Acquire()) {
          return grpc::Status(grpc::StatusCode::CANCELLED, "the worker is shutting down");
        }
        grpc::Status status = client_.stub().PollActivityTaskQueue(ctx, req, resp);
        if (!status.ok() || resp->task_token().empty()) activity_executor_->Release();
        return status;
      },
      [this](const auto& task) {
        activity_executor_->Run([this, task] { HandleActivityTask(task); });
      });
}

void Worker::HandleQueryTask(const api::v1::PollWorkflowTaskQueueResponse& task) {
  std::string type = task.workflow_type().name();
  if (type.empty() && task.history().events_size() > 0) {
    type = task.history()
               .events(0)
               .workflow_execution_started_event_attributes()
               .workflow_type()
               .name();
  }
  QueryResult result;
  auto it = workflows_.find(type);
  if (it == workflows_.end()) {
    result.error =
        absl::StrCat("workflow type \"", type, "\" is not registered on this worker (task queue ",
                     options_.task_queue, "; registered: ", Names(workflows_), ")");
  } else {
    try {
      result = Replayer(it->second)
                   .Query(task.history(), task.workflow_execution(), client_.ns(), task.query());
    } catch (const std::exception& e) {
      result = QueryResult();
      result.error = absl::StrCat("query task panicked: ", e.what());
    }
  }
  api::v1::RespondQueryTaskCompletedRequest req;
  req.set_namespace_(client_.ns());
  req.set_task_token(task.task_token());
  req.set_identity(options_.identity);
  if (result.answered) {
    req.set_completed_type(api::v1::QUERY_RESULT_TYPE_ANSWERED);
    *req.mutable_query_result() = std::move(result.result);
  } else {
    req.set_completed_type(api::v1::QUERY_RESULT_TYPE_FAILED);
    req.set_error_message(result.error);
  }
  Respond("RespondQueryTaskCompleted", [&](grpc::ClientContext* ctx) {
    api::v1::RespondQueryTaskCompletedResponse resp;
    return client_.stub().RespondQueryTaskCompleted(ctx, req, &resp);
  });
}

void Worker::HandleWorkflowTask(const api::v1::PollWorkflowTaskQueueResponse& task) {
  detail::TaskScope scope(task.trace_context(),
                          {{"namespace", client_.ns()},
                           {"workflow_id", task.workflow_execution().workflow_id()},
                           {"run_id", task.workflow_execution().run_id()},
                           {"task_queue", options_.task_queue},
                           {"attempt", absl::StrCat(std::max(task.attempt(), 1))}});
  // Metrics: a workflow slot is in use while this runs; the cache's size is updated after.
  auto slot =
      metrics_ ? std::optional(metrics_->TakeSlot(WorkerMetrics::Kind::kWorkflow)) : std::nullopt;
  absl::Cleanup cache_gauge = [this] {
    if (metrics_ && cache_) metrics_->SetStickyCacheSize(cache_->size());
  };
  if (task.has_query()) {
    HandleQueryTask(task);
    return;
  }
  std::string type = task.workflow_type().name();
  if (type.empty() && task.history().events_size() > 0) {
    type = task.history()
               .events(0)
               .workflow_execution_started_event_attributes()
               .workflow_type()
               .name();
  }
  const auto task_start = std::chrono::steady_clock::now();
  ReplayResult result;
  std::unique_ptr<WorkflowInstance> instance;  // the run's state after this task
  auto it = workflows_.find(type);
  if (it == workflows_.end()) {
    result.task_failed = true;
    result.cause = api::v1::WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE;
    result.message =
        absl::StrCat("workflow type \"", type, "\" is not registered on this worker (task queue ",
                     options_.task_queue, "; registered: ", Names(workflows_), ")");
  } else {
    try {
      result = RunWorkflowTask(it->second, task, &instance);
    } catch (const std::exception& e) {
      instance.reset();
      result = ReplayResult();
      result.task_failed = true;
      result.cause = api::v1::WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE;
      result.message = absl::StrCat("workflow task panicked: ", e.what());
    }
  }
  if (metrics_) RecordWorkflowTask(*metrics_, type, result, SecondsSince(task_start));
  if (result.task_failed) {
    Log(absl::StrCat("workflow task of ", task.workflow_execution().workflow_id(),
                     " failed: ", result.message));
    api::v1::RespondWorkflowTaskFailedRequest req;
    req.set_namespace_(client_.ns());
    req.set_task_token(task.task_token());
    req.set_cause(result.cause);
    *req.mutable_failure() =
        MakeFailure(result.message,
                    result.cause == api::v1::WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
                        ? "NonDeterministicError"
                        : "WorkflowTaskError",
                    false);
    req.set_identity(options_.identity);
    Respond("RespondWorkflowTaskFailed", [&](grpc::ClientContext* ctx) {
      api::v1::RespondWorkflowTaskFailedResponse resp;
      return client_.stub().RespondWorkflowTaskFailed(ctx, req, &resp);
    });
    return;
  }
  api::v1::RespondWorkflowTaskCompletedRequest req;
  req.set_namespace_(client_.ns());
  req.set_task_token(task.task_token());
  for (auto& c : result.commands) *req.add_commands() = std::move(c);
  req.set_identity(options_.identity);
  // Keep the run (and say so to the server) unless it closed or stopped being replayable.
  const RunCacheKey run{task.workflow_execution().workflow_id(),
                        task.workflow_execution().run_id()};
  const bool keep = cache_ && instance && instance->reusable();
  if (keep) {
    auto* sticky = req.mutable_sticky_attributes();
    sticky->mutable_worker_task_queue()->set_name(sticky_task_queue_);
    sticky->mutable_worker_task_queue()->set_kind(api::v1::TASK_QUEUE_KIND_STICKY);
    sticky->mutable_worker_task_queue()->set_normal_name(options_.task_queue);
    *sticky->mutable_schedule_to_start_timeout() =
        detail::ToProtoDuration(options_.sticky_schedule_to_start_timeout);
    // In the cache before the answer goes out: the next task may arrive right after it.
    cache_->Put(run, std::move(instance));
  }
  const int eager = ReserveEagerActivities(&req);  // eager_activities.cc
  api::v1::RespondWorkflowTaskCompletedResponse resp;
  bool accepted = Respond("RespondWorkflowTaskCompleted", [&](grpc::ClientContext* ctx) {
    resp.Clear();
    return client_.stub().RespondWorkflowTaskCompleted(ctx, req, &resp);
  });
  RunEagerActivities(eager, accepted ? &resp : nullptr);
  if (keep && !accepted && cache_->Erase(run.run_id)) ResetStickyTaskQueue(run);
}

void Worker::HandleActivityTask(const api::v1::PollActivityTaskQueueResponse& task) {
  detail::TaskScope scope(task.trace_context(),
                          {{"namespace", client_.ns()},
                           {"workflow_id", task.workflow_execution().workflow_id()},
                           {"run_id", task.workflow_execution().run_id()},
                           {"activity_id", task.activity_id()},
                           {"activity_type", task.activity_type().name()},
                           {"task_queue", options_.task_queue},
                           {"attempt", absl::StrCat(std::max(task.attempt(), 1))}});
  // Metrics: an activity slot in use while this runs; the attempt's outcome and run time.
  auto slot =
      metrics_ ? std::optional(metrics_->TakeSlot(WorkerMetrics::Kind::kActivity)) : std::nullopt;
  if (metrics_ && task.has_scheduled_time() && task.has_started_time()) {
    metrics_->RecordScheduleToStart(
        task.activity_type().name(),
        std::chrono::duration<double>(detail::FromProtoTimestamp(task.started_time()) -
                                      detail::FromProtoTimestamp(task.scheduled_time()))
            .count());
  }
  const auto activity_start = std::chrono::steady_clock::now();
  std::optional<double> ran_seconds;  // the activity code's run time, once it returned
  auto outcome = WorkerMetrics::ActivityOutcome::kFailed;
  absl::Cleanup record_activity = [&] {
    if (metrics_) {
      metrics_->RecordActivity(task.activity_type().name(), outcome,
                               ran_seconds.value_or(SecondsSince(activity_start)));
    }
  };
  const std::string& token = task.task_token();
  auto fail = [&](const api::v1::Failure& failure) {
    api::v1::RespondActivityTaskFailedRequest req;
    req.set_namespace_(client_.ns());
    req.set_task_token(token);
    *req.mutable_failure() = failure;
    req.set_identity(options_.identity);
    Respond("RespondActivityTaskFailed", [&](grpc::ClientContext* ctx) {
      api::v1::RespondActivityTaskFailedResponse resp;
      return client_.stub().RespondActivityTaskFailed(ctx, req, &resp);
    });
  };
  auto it = activities_.find(task.activity_type().name());
  if (it == activities_.end()) {
    fail(MakeFailure(absl::StrCat("activity type \"", task.activity_type().name(),
                                  "\" is not registered on this worker (task queue ",
                                  options_.task_queue, "; registered: ", Names(activities_), ")"),
                     "UnknownActivityType", false));
    return;
  }

  ActivityInfo info;
  info.namespace_name = client_.ns();
  info.workflow_id = task.workflow_execution().workflow_id();
  info.run_id = task.workflow_execution().run_id();
  info.workflow_type = task.workflow_type().name();
  info.activity_id = task.activity_id();
  info.activity_type = task.activity_type().name();
  info.task_queue = options_.task_queue;
  info.attempt = task.attempt() > 0 ? task.attempt() : 1;
  info.start_to_close_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      detail::FromProtoDuration(task.start_to_close_timeout()));
  info.heartbeat_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      detail::FromProtoDuration(task.heartbeat_timeout()));
  info.traceparent = scope.traceparent();

  // The task's span, captured: user code may heartbeat from a thread of its own.
  auto heartbeat = [this, &token,
                    traceparent = info.traceparent](const api::v1::Payloads& details) {
    api::v1::RecordActivityTaskHeartbeatRequest req;
    req.set_namespace_(client_.ns());
    req.set_task_token(token);
    *req.mutable_details() = details;
    req.set_identity(options_.identity);
    api::v1::RecordActivityTaskHeartbeatResponse resp;
    grpc::ClientContext ctx;
    SetDeadline(&ctx, kRespondDeadline);
    detail::AddTraceMetadata(&ctx, traceparent);
    grpc::Status status = client_.stub().RecordActivityTaskHeartbeat(&ctx, req, &resp);
    // NOT_FOUND: the attempt is no longer current (timed out, workflow closed): stop.
    if (!status.ok() && metrics_) {
      metrics_->RecordRpcError("RecordActivityTaskHeartbeat", status.error_code());
    }
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) return true;
    if (!status.ok()) {
      Log(absl::StrCat("RecordActivityTaskHeartbeat failed (", status.error_code(), ": ",
                       status.error_message(), ")"));
      return false;
    }
    return resp.cancel_requested();
  };
  ActivityContext ctx(std::move(info), task.heartbeat_details(), heartbeat);
  ctx.set_breakers(&breakers_);

  api::v1::Payloads result;
  try {
    try {
      result = it->second.Invoke(ctx, task.input());
      ran_seconds = SecondsSince(activity_start);
    } catch (...) {
      ran_seconds = SecondsSince(activity_start);
      // The next attempt starts from the last heartbeat the server has: send the latest one.
      ctx.FlushHeartbeat();
      throw;
    }
  } catch (const CanceledError& e) {
    if (ctx.IsCancelRequested()) {
      outcome = WorkerMetrics::ActivityOutcome::kCanceled;
      api::v1::RespondActivityTaskCanceledRequest req;
      req.set_namespace_(client_.ns());
      req.set_task_token(token);
      req.set_identity(options_.identity);
      Respond("RespondActivityTaskCanceled", [&](grpc::ClientContext* c) {
        api::v1::RespondActivityTaskCanceledResponse resp;
        return client_.stub().RespondActivityTaskCanceled(c, req, &resp);
      });
    } else {
      fail(MakeFailure(e.what(), "CanceledError", false));
    }
    return;
  } catch (const ApplicationError& e) {
    fail(MakeFailure(e.what(), e.type(), e.non_retryable()));
    return;
  } catch (const PayloadError& e) {
    fail(MakeFailure(e.what(), "PayloadError", true));
    return;
  } catch (const std::exception& e) {
    fail(MakeFailure(e.what(), TypeName(e), false));
    return;
  } catch (...) {
    fail(MakeFailure("unknown exception", "UnknownError", false));
    return;
  }
  outcome = WorkerMetrics::ActivityOutcome::kCompleted;
  api::v1::RespondActivityTaskCompletedRequest req;
  req.set_namespace_(client_.ns());
  req.set_task_token(token);
  *req.mutable_result() = std::move(result);
  req.set_identity(options_.identity);
  Respond("RespondActivityTaskCompleted", [&](grpc::ClientContext* c) {
    api::v1::RespondActivityTaskCompletedResponse resp;
    return client_.stub().RespondActivityTaskCompleted(c, req, &resp);
  });
}

}  // namespace weft
