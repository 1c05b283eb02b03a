#include "worker_metrics.h"

#include <utility>

namespace weft {
namespace {

using prometheus::Histogram;

// A long poll is held up to 60 s by the server (70 s by the worker's deadline).
Histogram::BucketBoundaries PollBuckets() {
  return {0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 70};
}

// Workflow tasks run in memory: milliseconds, up to the 10 s task timeout.
Histogram::BucketBoundaries TaskBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

// Activities and queue waits: milliseconds to hours.
Histogram::BucketBoundaries LongBuckets() {
  return {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};
}

const char* KindName(WorkerMetrics::Kind kind) {
  return kind == WorkerMetrics::Kind::kWorkflow ? "workflow" : "activity";
}

const char* ResultName(WorkerMetrics::PollResult r) {
  switch (r) {
    case WorkerMetrics::PollResult::kTask:
      return "task";
    case WorkerMetrics::PollResult::kEmpty:
      return "empty";
    case WorkerMetrics::PollResult::kError:
      return "error";
  }
  return "error";
}

const char* OutcomeName(WorkerMetrics::ActivityOutcome o) {
  switch (o) {
    case WorkerMetrics::ActivityOutcome::kCompleted:
      return "completed";
    case WorkerMetrics::ActivityOutcome::kFailed:
      return "failed";
    case WorkerMetrics::ActivityOutcome::kCanceled:
      return "canceled";
  }
  return "failed";
}

// The calls a worker makes. Their UNAVAILABLE series (the server is down or restarting, the
// error an alert would watch) exist from the start; other codes appear when they happen.
constexpr const char* kRpcMethods[] = {
    "PollWorkflowTaskQueue",       "PollActivityTaskQueue",       "RespondWorkflowTaskCompleted",
    "RespondWorkflowTaskFailed",   "RespondQueryTaskCompleted",   "RespondActivityTaskCompleted",
    "RespondActivityTaskFailed",   "RespondActivityTaskCanceled", "RecordActivityTaskHeartbeat",
    "GetWorkflowExecutionHistory", "ResetStickyTaskQueue"};

constexpr WorkerMetrics::Kind kKinds[] = {WorkerMetrics::Kind::kWorkflow,
                                          WorkerMetrics::Kind::kActivity};
constexpr WorkerMetrics::PollResult kPollResults[] = {WorkerMetrics::PollResult::kTask,
                                                      WorkerMetrics::PollResult::kEmpty,
                                                      WorkerMetrics::PollResult::kError};
constexpr WorkerMetrics::ActivityOutcome kActivityOutcomes[] = {
    WorkerMetrics::ActivityOutcome::kCompleted, WorkerMetrics::ActivityOutcome::kFailed,
    WorkerMetrics::ActivityOutcome::kCanceled};

template <typename Builder>
auto& Register(Builder builder, prometheus::Registry& registry, const char* name,
               const char* help) {
  return builder.Name(name).Help(help).Register(registry);
}

}  // namespace

WorkerMetrics::WorkerMetrics(prometheus::Registry& registry, std::string ns, std::string task_queue,
                             const std::vector<std::string>& workflow_types,
                             const std::vector<std::string>& activity_types, int workflow_slots,
                             int activity_slots)
    : ns_(std::move(ns)),
      task_queue_(std::move(task_queue)),
      workflow_slots_(workflow_slots),
      activity_slots_(activity_slots),
      slots_(Register(prometheus::BuildGauge(), registry, "weft_worker_task_slots",
                      "Task slots of the workers, by kind and state (used, available)")),
      polls_(Register(prometheus::BuildCounter(), registry, "weft_worker_polls_total",
                      "Long polls for tasks, by kind and result (task, empty, error)")),
      poll_latency_(Register(prometheus::BuildHistogram(), registry,
                             "weft_worker_poll_latency_seconds",
                             "How long a long poll was held before it returned, by kind")),
      rpc_errors_(Register(prometheus::BuildCounter(), registry, "weft_worker_rpc_errors_total",
                           "Calls from the worker to the server that failed, by method and code")),
      workflow_task_execution_(Register(prometheus::BuildHistogram(), registry,
                                        "weft_worker_workflow_task_execution_seconds",
                                        "Time to answer a workflow task (replay and new code)")),
      workflow_task_replay_(Register(prometheus::BuildHistogram(), registry,
                                     "weft_worker_workflow_task_replay_seconds",
                                     "Time replaying recorded history before a workflow "
                                     "task's new code ran")),
      workflow_tasks_(Register(prometheus::BuildCounter(), registry,
                               "weft_worker_workflow_tasks_total",
                               "Workflow tasks answered, by outcome (completed, failed)")),
      nondeterminism_errors_(Register(prometheus::BuildCounter(), registry,
                                      "weft_worker_nondeterminism_errors_total",
                                      "Workflow tasks failed because the code no longer "
                                      "matches the recorded history")),
      activity_execution_(Register(prometheus::BuildHistogram(), registry,
                                   "weft_worker_activity_execution_seconds",
                                   "Time an activity attempt ran in the worker")),
      schedule_to_start_(Register(prometheus::BuildHistogram(), registry,
                                  "weft_worker_activity_schedule_to_start_seconds",
                                  "Time from an activity attempt's scheduling to its start, "
                                  "as the server recorded them")),
      activities_(Register(prometheus::BuildCounter(), registry, "weft_worker_activities_total",
                           "Activity attempts finished, by outcome (completed, failed, "
                           "canceled)")),
      cache_size_(Register(prometheus::BuildGauge(), registry, "weft_worker_sticky_cache_size",
                           "Workflow runs held in the workers' sticky caches")
                      .Add({{"namespace", ns_}, {"task_queue", task_queue_}})),
      cache_hits_(Register(prometheus::BuildCounter(), registry,
                           "weft_worker_sticky_cache_hits_total",
                           "Workflow tasks continued from a cached run")
                      .Add({{"namespace", ns_}, {"task_queue", task_queue_}})),
      cache_misses_(Register(prometheus::BuildCounter(), registry,
                             "weft_worker_sticky_cache_misses_total",
                             "Partial-history workflow tasks whose run was not cached (the "
                             "whole history was fetched and replayed)")
                        .Add({{"namespace", ns_}, {"task_queue", task_queue_}})),
      cache_evictions_(Register(prometheus::BuildCounter(), registry,
                                "weft_worker_sticky_cache_evictions_total",
                                "Runs pushed out of the sticky cache to make room")
                           .Add({{"namespace", ns_}, {"task_queue", task_queue_}})),
      breaker_state_(Register(prometheus::BuildGauge(), registry,
                              "weft_worker_circuit_breaker_state",
                              "State of the workers' activity circuit breakers by key: 0 closed, "
                              "1 open, 2 half-open")),
      breaker_transitions_(Register(prometheus::BuildCounter(), registry,
                                    "weft_worker_circuit_breaker_transitions_total",
                                    "State changes of the workers' circuit breakers, by state "
                                    "entered")),
      breaker_rejected_(Register(prometheus::BuildCounter(), registry,
                                 "weft_worker_circuit_breaker_rejected_calls_total",
                                 "Calls a worker's circuit breaker refused (failed fast)")) {
  slots_.Add(With("kind", "workflow", "state", "available")).Increment(workflow_slots_);
  slots_.Add(With("kind", "activity", "state", "available")).Increment(activity_slots_);
  for (Kind kind : kKinds) {
    slots_.Add(With("kind", KindName(kind), "state", "used"));
    for (PollResult r : kPollResults)
      polls_.Add(With("kind", KindName(kind), "result", ResultName(r)));
    poll_latency_.Add(With("kind", KindName(kind)), PollBuckets());
  }
  for (const char* method : kRpcMethods)
    rpc_errors_.Add(With("method", method, "code", "UNAVAILABLE"));
  for (const std::string& type : workflow_types) {
    workflow_task_execution_.Add(With("workflow_type", type), TaskBuckets());
    workflow_task_replay_.Add(With("workflow_type", type), TaskBuckets());
    workflow_tasks_.Add(With("workflow_type", type, "outcome", "completed"));
    workflow_tasks_.Add(With("workflow_type", type, "outcome", "failed"));
    nondeterminism_errors_.Add(With("workflow_type", type));
  }
  for (const std::string& type : activity_types) {
    activity_execution_.Add(With("activity_type", type), LongBuckets());
    schedule_to_start_.Add(With("activity_type", type), LongBuckets());
    for (ActivityOutcome o : kActivityOutcomes) {
      activities_.Add(With("activity_type", type, "outcome", OutcomeName(o)));
    }
  }
}

WorkerMetrics::~WorkerMetrics() {
  // This worker's capacity and cached runs leave with it; counters stay (they are monotonic
  // over the process).
  slots_.Add(With("kind", "workflow", "state", "available")).Decrement(workflow_slots_);
  slots_.Add(With("kind", "activity", "state", "available")).Decrement(activity_slots_);
  SetStickyCacheSize(0);
}

prometheus::Labels WorkerMetrics::With(absl::string_view key, absl::string_view value) const {
  return {{"namespace", ns_}, {"task_queue", task_queue_}, {std::string(key), std::string(value)}};
}

prometheus::Labels WorkerMetrics::With(absl::string_view k1, absl::string_view v1,
                                       absl::string_view k2, absl::string_view v2) const {
  return {{"namespace", ns_},
          {"task_queue", task_queue_},
          {std::string(k1), std::string(v1)},
          {std::string(k2), std::string(v2)}};
}

WorkerMetrics::Slot WorkerMetrics::TakeSlot(Kind kind) {
  slots_.Add(With("kind", KindName(kind), "state", "used")).Increment();
  slots_.Add(With("kind", KindName(kind), "state", "available")).Decrement();
  return Slot(this, kind);
}

void WorkerMetrics::ReleaseSlot(Kind kind) {
  slots_.Add(With("kind", KindName(kind), "state", "used")).Decrement();
  slots_.Add(With("kind", KindName(kind), "state", "available")).Increment();
}

void WorkerMetrics::RecordPoll(Kind kind, PollResult result, double seconds) {
  polls_.Add(With("kind", KindName(kind), "result", ResultName(result))).Increment();
  // An error's duration says how long the failure took to show, not how long work waited.
  if (result != PollResult::kError) {
    poll_latency_.Add(With("kind", KindName(kind)), PollBuckets()).Observe(seconds);
  }
}

void WorkerMetrics::RecordRpcError(absl::string_view method, grpc::StatusCode code) {
  rpc_errors_.Add(With("method", method, "code", CodeName(code))).Increment();
}

void WorkerMetrics::RecordWorkflowTask(const std::string& workflow_type, bool completed,
                                       double seconds) {
  workflow_tasks_
      .Add(With("workflow_type", workflow_type, "outcome", completed ? "completed" : "failed"))
      .Increment();
  workflow_task_execution_.Add(With("workflow_type", workflow_type), TaskBuckets())
      .Observe(seconds);
}

void WorkerMetrics::RecordReplay(const std::string& workflow_type, double seconds) {
  workflow_task_replay_.Add(With("workflow_type", workflow_type), TaskBuckets()).Observe(seconds);
}

void WorkerMetrics::RecordNondeterminismError(const std::string& workflow_type) {
  nondeterminism_errors_.Add(With("workflow_type", workflow_type)).Increment();
}

void WorkerMetrics::RecordActivity(const std::string& activity_type, ActivityOutcome outcome,
                                   double seconds) {
  activities_.Add(With("activity_type", activity_type, "outcome", OutcomeName(outcome)))
      .Increment();
  activity_execution_.Add(With("activity_type", activity_type), LongBuckets()).Observe(seconds);
}

void WorkerMetrics::RecordScheduleToStart(const std::string& activity_type, double seconds) {
  schedule_to_start_.Add(With("activity_type", activity_type), LongBuckets())
      .Observe(seconds < 0 ? 0 : seconds);
}

void WorkerMetrics::RecordStickyCacheHit() { cache_hits_.Increment(); }
void WorkerMetrics::RecordStickyCacheMiss() { cache_misses_.Increment(); }
void WorkerMetrics::RecordStickyCacheEviction() { cache_evictions_.Increment(); }

void WorkerMetrics::SetStickyCacheSize(size_t runs) {
  absl::MutexLock lock(&mu_);
  cache_size_.Increment(static_cast<double>(runs) - static_cast<double>(reported_cache_size_));
  reported_cache_size_ = runs;
}

std::shared_ptr<const CircuitBreaker::Observer> WorkerMetrics::BreakerObserver() {
  auto observer = std::make_shared<CircuitBreaker::Observer>();
  observer->on_created = [this](const std::string& name) {
    breaker_state_.Add(With("breaker", name)).Set(0);
    breaker_rejected_.Add(With("breaker", name));
    for (const char* to : {"closed", "open", "half_open"}) {
      breaker_transitions_.Add(With("breaker", name, "to", to));
    }
  };
  observer->on_transition = [this](const std::string& name, CircuitBreaker::State to) {
    const char* state = to == CircuitBreaker::State::kOpen       ? "open"
                        : to == CircuitBreaker::State::kHalfOpen ? "half_open"
                                                                 : "closed";
    const double value = to == CircuitBreaker::State::kOpen       ? 1
                         : to == CircuitBreaker::State::kHalfOpen ? 2
                                                                  : 0;
    breaker_state_.Add(With("breaker", name)).Set(value);
    breaker_transitions_.Add(With("breaker", name, "to", state)).Increment();
  };
  observer->on_rejected = [this](const std::string& name) {
    breaker_rejected_.Add(With("breaker", name)).Increment();
  };
  return observer;
}

const char* WorkerMetrics::CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    default:
      return "UNKNOWN";
  }
}

}  // namespace weft
