// weft::Worker: hosts workflows and activities on one task queue.
//
//   weft::Worker worker(*client, {.task_queue = "samples"});
//   worker.RegisterWorkflow("Greeting", Greet);            // Workflow<R>(WorkflowContext&,
//   Args...) worker.RegisterActivity("ComposeGreeting", Compose);   // R(Args...) or
//   R(ActivityContext&, Args...) if (absl::Status s = worker.Start(); !s.ok()) ...
//   ...
//   worker.Shutdown();  // or worker.Run() to block until another thread calls Shutdown()
//
// Start() runs max_concurrent_workflow_tasks workflow pollers (each polls, then executes what
// it got) and, for activities, max_concurrent_activities slots with their threads plus
// max_concurrent_activity_task_pollers pollers (a poll goes out only while a slot is free).
// Eager activities (on unless disable_eager_activities): when this worker completes a
// workflow task that schedules activities it runs itself (its task queue, a registered type),
// it offers its free activity slots and the server returns those activities already started
// for it in the answer, skipping matching and a poll; they run as polled ones do. A workflow task
// is answered by replaying the full history (see replayer.h); so is each query task (a poll
// response with `query` set), with RespondQueryTaskCompleted. With sticky execution
// (max_cached_workflows > 0, the default) the worker also keeps each run's state after its task and
// polls a queue of its own ("<identity>:<random>", as many pollers again): the run's next task
// arrives there with only the new events and continues the cached state. A run not in the cache
// (evicted, or never here) fetches its whole history with GetWorkflowExecutionHistory and replays
// it; an evicted run is reset on the server (ResetStickyTaskQueue). If this process dies, the
// server moves its runs' tasks to the normal queue after sticky_schedule_to_start_timeout. Poll
// errors (e.g. UNAVAILABLE while the server restarts) back off from 100 ms doubling to 2 s and
// retry forever; stderr gets one line when an outage starts and one when it ends. Shutdown() is
// graceful: outstanding long polls (the sticky ones too) are cancelled, tasks in flight finish and
// are answered, the cached runs are reset on the server, then it returns.
//
// Thread safety: Register* must be called before Start(); Start, Run and Shutdown are
// thread-safe. The Client must outlive the Worker; the destructor calls Shutdown().
#ifndef WEFT_WORKER_H_
#define WEFT_WORKER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "weft/activity.h"
#include "weft/circuit_breaker.h"
#include "weft/client.h"
#include "weft/workflow_definition.h"

namespace weft {

class WorkflowInstance;  // worker-sdk/src: a cached run
namespace detail {
class ActivityExecutor;  // worker-sdk/src: activity slots and the threads that run them
}  // namespace detail
class MetricsExporter;  // worker-sdk/src: the process's /metrics endpoint
class WorkerMetrics;    // worker-sdk/src: this worker's series
struct ReplayResult;
struct RunCacheKey;
template <typename T>
class RunCache;

struct WorkerOptions {
  std::string task_queue;
  int max_concurrent_workflow_tasks = 2;
  int max_concurrent_activities = 8;
  std::string identity;  // empty: the client's identity
  // Dispatch rate limit of the whole activity task queue, sent with every activity poll
  // (Temporal's TaskQueueActivitiesPerSecond): the server hands out at most this many
  // activity tasks per second across all workers of the queue, the lowest value any of
  // them asks for. 0: no limit.
  double max_task_queue_activities_per_second = 0;
  // Activity polls in flight at once (each holds one of the max_concurrent_activities slots
  // while it waits, so the rest stay free for eager activities). Clamped to 1 ..
  // max_concurrent_activities.
  int max_concurrent_activity_task_pollers = 2;
  // Eager activity dispatch (Temporal's eager activity execution; see above). Turn it off to
  // send every activity through the task queue, say to spread them over many workers.
  bool disable_eager_activities = false;
  // Defaults of the breakers activities get from ActivityContext::Breaker(key).
  CircuitBreakerOptions circuit_breaker;
  // Sticky execution: after a workflow task the worker keeps the run's state in memory (up to
  // this many runs, least recently used evicted) and the server sends the run's next task to
  // this worker's own queue with only the new events. 0 disables it.
  int max_cached_workflows = 1000;
  // How long the server waits for this worker to start a run's next task on its sticky
  // queue before moving it to the normal queue (say, the worker died).
  std::chrono::milliseconds sticky_schedule_to_start_timeout = std::chrono::seconds(5);
  // The SDK's structured log (JSON lines on stderr, component "worker"; lines of a task carry
  // its workflow_id, run_id, activity_id, attempt, trace_id ...). log_level: "info", "debug",
  // or "warn,worker=debug"; log_format: "json" or "text". Empty: $WEFT_LOG_LEVEL /
  // $WEFT_LOG_FORMAT, else the process's setting (info, json). Settings are process-wide.
  std::string log_level;
  std::string log_format;
  // Prometheus metrics of this worker (task slots, polls, workflow task and replay times,
  // activities, sticky cache, RPC errors: README "Worker metrics") served as
  // http://HOST:PORT/metrics from Start() on. Empty: off. Port 0 lets the OS pick one (see
  // metrics_port()). All Workers of a process share one endpoint: give them the same address.
  std::string metrics_address;
};

// Counters of a worker's sticky execution, since it was created.
struct StickyStats {
  int64_t full_history_tasks = 0;     // tasks that came with the run's whole history
  int64_t partial_history_tasks = 0;  // tasks that came with only the new events
  int64_t cache_hits = 0;             // partial tasks continued from the cached run
  int64_t cache_misses = 0;           // partial tasks that had to fetch the whole history
  int64_t evictions = 0;              // runs pushed out of the cache (each reset on the server)
};

class Worker {
 public:
  Worker(Client& client, WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Registers `fn` under `name`; argument and result types come from its signature. A
  // second registration of the same name replaces the first.
  template <typename Fn>
  void RegisterWorkflow(std::string name, Fn fn) {
    RegisterWorkflowDefinition(WorkflowDefinition::FromFunction(std::move(name), std::move(fn)));
  }
  template <typename Fn>
  void RegisterActivity(std::string name, Fn fn) {
    RegisterActivityDefinition(ActivityDefinition::FromFunction(std::move(name), std::move(fn)));
  }
  void RegisterWorkflowDefinition(WorkflowDefinition definition);
  void RegisterActivityDefinition(ActivityDefinition definition);

  // Starts the poll loops. FAILED_PRECONDITION if already started, or nothing is registered,
  // or the task queue is empty.
  absl::Status Start();
  // Starts (if needed) and blocks until Shutdown() has completed.
  absl::Status Run();
  // Stops polling, waits for tasks in flight, returns. Idempotent.
  void Shutdown();

  // This worker's sticky queue ("<identity>:<random>"); empty when sticky execution is off.
  const std::string& sticky_task_queue() const { return sticky_task_queue_; }
  StickyStats sticky_stats() const;
  // Activity tasks this worker got back eagerly in workflow-task answers (not polled).
  int64_t eager_activity_tasks() const { return eager_activity_tasks_; }
  // The port this worker's metrics are served on once Start() succeeded; 0 when
  // metrics_address is empty. Start() also logs the URL.
  int metrics_port() const;

 private:
  // Polls one kind of task until shutdown, handing each task that arrives to `handle`.
  // `queue` null: options_.task_queue.
  template <typename Request, typename Response, typename Rpc, typename Handle>
  void PollLoop(const char* what, Rpc rpc, Handle handle,
                const api::v1::TaskQueue* queue = nullptr);
  void WorkflowLoop();
  void StickyWorkflowLoop();  // polls this worker's sticky queue
  void ActivityLoop();
  // Runs one long poll; false when shutting down. Backs off on errors.
  template <typename Request, typename Response, typename Call>
  bool Poll(const char* what, const Request& request, Response* response, Call call);
  void HandleWorkflowTask(const api::v1::PollWorkflowTaskQueueResponse& task);
  // Answers a workflow task from the cached run (partial history), or by a full replay; sets
  // *instance to the run's state afterwards (for the cache). See sticky_worker.cc.
  ReplayResult RunWorkflowTask(const WorkflowDefinition& definition,
                               const api::v1::PollWorkflowTaskQueueResponse& task,
                               std::unique_ptr<WorkflowInstance>* instance);
  // Pages the run's history in up to `last_event_id`.
  absl::Status FetchHistory(const api::v1::WorkflowExecution& execution, int64_t last_event_id,
                            api::v1::History* history);
  // Tells the server this worker no longer has the run cached.
  void ResetStickyTaskQueue(const RunCacheKey& run);
  // A poll response with `query` set: replay, run the handler, RespondQueryTaskCompleted.
  void HandleQueryTask(const api::v1::PollWorkflowTaskQueueResponse& task);
  void HandleActivityTask(const api::v1::PollActivityTaskQueueResponse& task);
  // Eager activities (eager_activities.cc): marks the activities of `req` this worker can run
  // now with request_eager_execution and reserves a slot for each; returns how many.
  int ReserveEagerActivities(api::v1::RespondWorkflowTaskCompletedRequest* req);
  // Runs the activity tasks the server started for this worker (`resp` null: the answer was
  // refused) and gives back the reserved slots they did not use.
  void RunEagerActivities(int reserved, const api::v1::RespondWorkflowTaskCompletedResponse* resp);
  // Calls a respond RPC, retrying UNAVAILABLE a few times; logs other errors except NOT_FOUND.
  // Returns whether the server accepted it.
  template <typename Call>
  bool Respond(const char* what, Call call);
  bool stopping() const;
  // Acquires the process's metrics endpoint for options_.metrics_address and creates this
  // worker's series (metrics_worker.cc).
  absl::Status StartMetrics();
  void Log(const std::string& line) const;

  Client& client_;
  WorkerOptions options_;
  std::map<std::string, WorkflowDefinition> workflows_;
  std::map<std::string, ActivityDefinition> activities_;
  CircuitBreakerRegistry breakers_;                    // shared by the activities of this worker
  std::string sticky_task_queue_;                      // empty: sticky execution off
  std::unique_ptr<RunCache<WorkflowInstance>> cache_;  // null when off
  std::atomic<int64_t> full_history_tasks_{0};
  std::atomic<int64_t> partial_history_tasks_{0};
  std::atomic<int64_t> cache_hits_{0};
  std::atomic<int64_t> cache_misses_{0};
  std::atomic<int64_t> evictions_{0};
  std::atomic<int64_t> eager_activity_tasks_{0};
  // Set by Start() when activities are registered; joined by Shutdown().
  std::unique_ptr<detail::ActivityExecutor> activity_executor_;
  // Set when a reset failed while shutting down (server unreachable): skip the others, their
  // tasks fall back after the sticky timeout anyway.
  std::atomic<bool> skip_resets_{false};
  // Set by Start() when metrics_address is given; the exporter outlives the metrics.
  std::shared_ptr<MetricsExporter> metrics_exporter_;
  std::unique_ptr<WorkerMetrics> metrics_;

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool joining_ ABSL_GUARDED_BY(mu_) = false;
  bool polls_failing_ ABSL_GUARDED_BY(mu_) = false;
  std::set<grpc::ClientContext*> polls_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;  // written by Start, joined by the first Shutdown
};

}  // namespace weft

#endif  // WEFT_WORKER_H_
