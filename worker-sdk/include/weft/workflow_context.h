// weft::WorkflowContext: everything a workflow may do besides pure computation.
//
// Workflow code must be deterministic: replaying the same history must issue the same
// commands. So time, randomness, ids and side effects come from the context, never from the
// OS, and all waiting is done by co_await on futures that the context returns:
//
//   auto greeting = co_await ctx.ExecuteActivity<std::string>("Compose", {.start_to_close = 10s},
//   name); co_await ctx.Sleep(1s); auto approved = co_await
//   ctx.GetSignalChannel("approve").Receive<bool>(); size_t first = co_await ctx.WhenAny(timer,
//   approval);
//
// Queries: ctx.SetQueryHandler("count", [count] { return *count; }) answers QueryWorkflow
// from the state the workflow code reached after replaying the history.
// Continue-as-new: ctx.ContinueAsNew(next_input) ends this run and starts a fresh one.
// Children: ctx.ExecuteChildWorkflow<R>("Type", {}, args...) (weft/child_workflow.h);
// ctx.SignalExternalWorkflow / RequestCancelExternalWorkflow reach other workflows.
// Versioning: ctx.GetVersion("change", kDefaultVersion, 1) picks a code path per run.
// Cancellation: a workflow cancel request cancels the root CancellationScope: pending
// activities get RequestCancelActivityTask, timers CancelTimer, and awaiting them throws a
// CanceledError. Cleanup runs in a detached scope, kept in a variable while it is used:
//   CancellationScope cleanup = ctx.NewDetachedCancellationScope();
//   co_await cleanup.context().ExecuteActivity<void>("Refund", opts, order);
//
// Thread safety: none. A context is created by the runtime for one replay of one workflow
// task and is only valid inside that workflow's coroutines; don't keep it elsewhere.
#ifndef WEFT_WORKFLOW_CONTEXT_H_
#define WEFT_WORKFLOW_CONTEXT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "weft/api/v1/common.pb.h"
#include "weft/child_workflow.h"
#include "weft/errors.h"
#include "weft/future.h"
#include "weft/logger.h"
#include "weft/payload.h"
#include "weft/retry_policy.h"
#include "weft/search_attributes.h"
#include "weft/signal_channel.h"

namespace weft {

namespace detail {
class WorkflowRuntime;
struct ScopeState;
void RequestCancelActivity(WorkflowRuntime* runtime, const std::string& activity_id);
}  // namespace detail

// GetVersion's answer for runs that reached the change point before GetVersion was added.
inline constexpr int kDefaultVersion = -1;

// What Cancel() on an activity future (or its scope) waits for.
enum class ActivityCancellationType {
  // The future resolves when the server reports the outcome: ActivityTaskCanceled (throws
  // ActivityCanceledError), or the activity's completion or failure if it finished first.
  kWaitCancellationCompleted,
  // RequestCancelActivityTask is sent and the future throws ActivityCanceledError at once.
  kTryCancel,
};

// Zero durations are "not set" (the server applies its defaults and validation).
struct ActivityOptions {
  std::chrono::milliseconds start_to_close{0};
  std::chrono::milliseconds schedule_to_close{0};
  std::chrono::milliseconds schedule_to_start{0};
  std::chrono::milliseconds heartbeat_timeout{0};
  std::optional<RetryPolicy> retry_policy;  // unset: the server's default policy
  std::string_view task_queue;              // empty: the workflow's task queue
  ActivityCancellationType cancellation_type = ActivityCancellationType::kWaitCancellationCompleted;
  int32_t priority = 0;  // 1 (highest) .. 5; 0: the workflow's priority
};
// ActivityOptions is usually a braced temporary inside a co_await expression. GCC 12
// destroys such aggregate temporaries twice (and moves them bitwise) when the coroutine
// suspends, so the type must stay trivially copyable: views, no owning members.
static_assert(std::is_trivially_copyable_v<ActivityOptions> &&
              std::is_trivially_destructible_v<ActivityOptions>);

struct WorkflowInfo {
  std::string namespace_name;
  std::string workflow_id;
  std::string run_id;
  std::string workflow_type;
  std::string task_queue;
  int32_t attempt = 1;
  std::string continued_run_id;  // the run this one continued as new, if any
};

// A durable timer. Cancel() before it fires sends CancelTimer; awaiting a canceled timer
// throws weft::CanceledError.
class TimerFuture : public Future<void> {
 public:
  TimerFuture(std::shared_ptr<detail::FutureState<void>> state, detail::WorkflowRuntime* runtime,
              std::string timer_id)
      : Future<void>(std::move(state)), runtime_(runtime), timer_id_(std::move(timer_id)) {}

  void Cancel();
  const std::string& timer_id() const { return timer_id_; }

 private:
  detail::WorkflowRuntime* runtime_;
  std::string timer_id_;
};

// An activity in progress. Cancel() asks the server to cancel it (see
// ActivityCancellationType); an activity whose schedule command was not sent yet is dropped
// and its future throws ActivityCanceledError at once. Cancel() after it finished is a no-op.
template <typename T>
class ActivityFuture : public Future<T> {
 public:
  ActivityFuture(Future<T> future, detail::WorkflowRuntime* runtime, std::string activity_id)
      : Future<T>(std::move(future)), runtime_(runtime), activity_id_(std::move(activity_id)) {}

  void Cancel() {
    if (runtime_ != nullptr && !activity_id_.empty()) {
      detail::RequestCancelActivity(runtime_, activity_id_);
    }
  }
  const std::string& activity_id() const { return activity_id_; }

 private:
  detail::WorkflowRuntime* runtime_;
  std::string activity_id_;
};

class WorkflowContext;

// A cancellation scope: the activities and timers started through its context() belong to
// it, and Cancel() cancels them all, and the scopes created inside it. A scope made with
// NewCancellationScope() is canceled with its parent (the root scope is canceled by a
// workflow cancel request); one made with NewDetachedCancellationScope() is not, which is
// what cleanup and compensation after a cancel need. Starting an activity or a timer in a
// canceled scope sends nothing and yields a future that throws CanceledError.
//
// A cheap handle: copies share the scope. Keep it (e.g. in the coroutine frame) while its
// context() is used.
class CancellationScope {
 public:
  WorkflowContext& context() const { return *ctx_; }
  void Cancel();
  bool IsCanceled() const;
  // Ready once the scope is canceled.
  Future<void> Canceled() const;

 private:
  friend class WorkflowContext;
  CancellationScope(detail::WorkflowRuntime* runtime, std::shared_ptr<detail::ScopeState> state);

  detail::WorkflowRuntime* runtime_;
  std::shared_ptr<detail::ScopeState> state_;
  std::shared_ptr<WorkflowContext> ctx_;
};

namespace detail {
template <typename F>
struct QuerySignature;
template <typename R, typename... Args>
struct QuerySignature<std::function<R(Args...)>> {
  using Result = R;
  using ArgsTuple = std::tuple<std::decay_t<Args>...>;
};
}  // namespace detail

class WorkflowContext {
 public:
  // A context in `scope` (null: the runtime's root scope).
  explicit WorkflowContext(detail::WorkflowRuntime* runtime,
                           std::shared_ptr<detail::ScopeState> scope = nullptr);
  WorkflowContext(const WorkflowContext&) = delete;
  WorkflowContext& operator=(const WorkflowContext&) = delete;

  // Schedules activity `name` with one payload per argument. co_await yields its result
  // decoded as R, or throws weft::ActivityError when it failed, timed out or was canceled.
  template <typename R, typename... Args>
  ActivityFuture<R> ExecuteActivity(std::string_view name, const ActivityOptions& options,
                                    const Args&... args) {
    ActivityFuture<api::v1::Payloads> raw = ScheduleActivity(name, options, ToPayloads(args...));
    Future<R> decoded = detail::Transform<R>(raw, [](const api::v1::Payloads& result) {
      if constexpr (std::is_void_v<R>) {
        return;
      } else {
        return FromFirstPayload<R>(result);
      }
    });
    return ActivityFuture<R>(std::move(decoded), runtime_, raw.activity_id());
  }

  // The non-template core of ExecuteActivity: the result payloads, undecoded.
  ActivityFuture<api::v1::Payloads> ScheduleActivity(std::string_view name,
                                                     const ActivityOptions& options,
                                                     api::v1::Payloads input);

  // Starts child workflow `type` with one payload per argument (see weft/child_workflow.h).
  // co_await on the handle yields the child's result decoded as R, or throws
  // ChildWorkflowError (ChildWorkflowCanceledError when it closed as canceled).
  template <typename R = nlohmann::json, typename... Args>
  ChildWorkflowFuture<R> StartChildWorkflow(std::string_view type,
                                            const ChildWorkflowOptions& options,
                                            const Args&... args) {
    ChildWorkflowFuture<api::v1::Payloads> raw =
        StartChildWorkflowPayloads(type, options, ToPayloads(args...));
    Future<R> decoded = detail::Transform<R>(raw, [](const api::v1::Payloads& result) {
      if constexpr (std::is_void_v<R>) {
        return;
      } else {
        return FromFirstPayload<R>(result);
      }
    });
    return ChildWorkflowFuture<R>(std::move(decoded), raw.Started(), runtime_, raw.workflow_id());
  }
  // The same, for code that only wants the result: co_await ctx.ExecuteChildWorkflow<R>(...).
  template <typename R, typename... Args>
  ChildWorkflowFuture<R> ExecuteChildWorkflow(std::string_view type,
                                              const ChildWorkflowOptions& options,
                                              const Args&... args) {
    return StartChildWorkflow<R>(type, options, args...);
  }
  ChildWorkflowFuture<api::v1::Payloads> StartChildWorkflowPayloads(
      std::string_view type, const ChildWorkflowOptions& options, api::v1::Payloads input);

  // Sends signal `signal_name` to another workflow of this namespace (run_id empty: its
  // current run). Ready once delivered; throws ExternalWorkflowError when there is no such
  // running workflow.
  template <typename... Args>
  Future<void> SignalExternalWorkflow(std::string_view workflow_id, std::string_view run_id,
                                      std::string_view signal_name, const Args&... args) {
    return SignalExternalWorkflowPayloads(workflow_id, run_id, signal_name, ToPayloads(args...));
  }
  Future<void> SignalExternalWorkflowPayloads(std::string_view workflow_id, std::string_view run_id,
                                              std::string_view signal_name,
                                              api::v1::Payloads input);
  // Asks another workflow of this namespace to cancel (a cooperative cancel request, as from
  // a client). Ready once delivered; throws ExternalWorkflowError when there is no such
  // running workflow.
  Future<void> RequestCancelExternalWorkflow(std::string_view workflow_id,
                                             std::string_view run_id = "");

  // A durable timer (StartTimer command). A duration <= 0 is ready at once, without a command.
  TimerFuture NewTimer(std::chrono::milliseconds duration);
  TimerFuture Sleep(std::chrono::milliseconds duration) { return NewTimer(duration); }

  // The channel of signals named `name` (created on first use; the reference stays valid for
  // the rest of the workflow task).
  SignalChannel& GetSignalChannel(std::string_view name);

  template <typename... Ts>
  Future<void> WhenAll(const Future<Ts>&... futures) {
    return weft::WhenAll(futures...);
  }
  template <typename... Ts>
  Future<size_t> WhenAny(const Future<Ts>&... futures) {
    return weft::WhenAny(futures...);
  }

  // The start time of the current workflow task (the WorkflowTaskStarted event's time).
  std::chrono::system_clock::time_point Now() const;
  // Deterministic pseudo-random numbers, seeded from the run id.
  uint64_t Random();
  // Uniform in [0, 1).
  double RandomDouble();
  // A random (version 4 format) UUID drawn from Random().
  std::string NewUuid();

  // Runs fn once and records its result in history (a "SideEffect" marker); replays return
  // the recorded value without calling fn. fn must not fail; T is JSON-encoded.
  template <typename T, typename F>
  T SideEffect(F&& fn) {
    api::v1::Payload recorded =
        SideEffectPayload([&fn]() -> api::v1::Payload { return ToPayload<T>(fn()); });
    return FromPayload<T>(recorded);
  }
  api::v1::Payload SideEffectPayload(const std::function<api::v1::Payload()>& fn);

  // Like SideEffect, but for a value that may change over the run (a config flag): fn runs
  // on every call outside replay and a "MutableSideEffect" marker (details: id, data) is
  // recorded only when its value differs from the last one recorded for `id`. Replay returns
  // the recorded values at the same points.
  template <typename T, typename F>
  T MutableSideEffect(std::string_view id, F&& fn) {
    api::v1::Payload recorded =
        MutableSideEffectPayload(id, [&fn]() -> api::v1::Payload { return ToPayload<T>(fn()); });
    return FromPayload<T>(recorded);
  }
  api::v1::Payload MutableSideEffectPayload(std::string_view id,
                                            const std::function<api::v1::Payload()>& fn);

  // Sets (or, with Unset, removes) search attributes of this run, so list queries see them
  // once the workflow task completes (an UpsertWorkflowSearchAttributes event). The names
  // must be registered in the namespace; a bad name or type fails the workflow task.
  void UpsertSearchAttributes(const SearchAttributes& attributes);

  // The version of the code path for `change_id` in this run, within [min_supported,
  // max_supported]. The first call in a run that is not replaying records a "Version" marker
  // (details: change_id, version) with max_supported and returns it; replay returns the
  // recorded version, and kDefaultVersion where history has no marker (the run got past this
  // point before the GetVersion call existed). Later calls for the same change_id return the
  // same version. A version outside the range fails the workflow task (a deploy removed a
  // path that running workflows still need), so the task retries after a fix.
  int GetVersion(std::string_view change_id, int min_supported, int max_supported);

  // Registers (or replaces) the handler of query `name`. fn takes JSON-decodable arguments
  // and returns a JSON-encodable value (or nothing: null); it runs after the replay, sees the
  // workflow's state then, and must not block or issue commands (starting an activity or a
  // timer in a handler fails the query). Throwing fails the query with the exception's text.
  // A closed run is queried after its coroutine returned, when its locals are gone: keep the
  // state a handler reads in something the handler owns (e.g. a captured std::shared_ptr),
  // not in references to locals.
  template <typename F>
  void SetQueryHandler(std::string_view name, F fn) {
    using Sig = detail::QuerySignature<decltype(std::function{fn})>;
    using Tuple = typename Sig::ArgsTuple;
    using R = typename Sig::Result;
    SetQueryHandlerPayloads(name, [fn = std::move(fn)](const api::v1::Payloads& args) mutable {
      Tuple decoded = detail::DecodeArguments<Tuple>(
          args, std::make_index_sequence<std::tuple_size_v<Tuple>>());
      if constexpr (std::is_void_v<R>) {
        std::apply(fn, decoded);
        return api::v1::Payloads();
      } else {
        return ToPayloads(std::apply(fn, decoded));
      }
    });
  }
  void SetQueryHandlerPayloads(std::string_view name,
                               std::function<api::v1::Payloads(const api::v1::Payloads&)> fn);

  // Ends this run and starts a new run of the same workflow id with `args` as input (a fresh
  // history), once the code unwinds to the top: it throws ContinueAsNewError, which catch
  // (const std::exception&) does not catch. Use it to keep histories short in long-lived
  // workflows:  if (n < until) ctx.ContinueAsNew(n + 1);
  template <typename... Args>
  [[noreturn]] void ContinueAsNew(const Args&... args) {
    throw ContinueAsNewError(ToPayloads(args...));
  }
  template <typename... Args>
  [[noreturn]] void ContinueAsNewWithOptions(ContinueAsNewOptions options, const Args&... args) {
    throw ContinueAsNewError(ToPayloads(args...), std::move(options));
  }

  // A scope canceled with this context's scope, and a detached one (see CancellationScope).
  CancellationScope NewCancellationScope();
  CancellationScope NewDetachedCancellationScope();
  // Whether this context's scope was canceled.
  bool IsCanceled() const;

  // Whether the run was asked to cancel (WorkflowExecutionCancelRequested). The request
  // cancels the root scope (its activities and timers throw CanceledError when awaited), but
  // the workflow decides how to end: let a CanceledError propagate (or throw one) to close
  // as canceled, after any cleanup in a detached scope.
  bool IsCancelRequested() const;
  // Ready once a cancel request arrives.
  Future<void> CancelRequested();

  const WorkflowInfo& Info() const;

  // True while the code re-runs a workflow task that already completed (its commands are
  // matched against history instead of being sent). Useful to silence logging.
  bool IsReplaying() const;

  // The W3C traceparent of the workflow task being run (a span of the run's trace, which
  // starts at the client that started the workflow) and its trace id; "" outside a worker.
  std::string traceparent() const;
  std::string trace_id() const;
  // A replay-aware logger (weft/logger.h): writes nothing while IsReplaying().
  TaskLogger logger() const;

 private:
  detail::ScopeState* Scope() const;

  detail::WorkflowRuntime* runtime_;
  std::shared_ptr<detail::ScopeState> scope_;
};

}  // namespace weft

#endif  // WEFT_WORKFLOW_CONTEXT_H_
