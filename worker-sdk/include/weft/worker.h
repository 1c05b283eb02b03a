// weft::Worker: hosts workflows and activities on one task queue.
//
//   weft::Worker worker(*client, {.task_queue = "samples"});
//   worker.RegisterWorkflow("Greeting", Greet);            // Workflow<R>(WorkflowContext&,
//   Args...) worker.RegisterActivity("ComposeGreeting", Compose);   // R(Args...) or
//   R(ActivityContext&, Args...) if (absl::Status s = worker.Start(); !s.ok()) ...
//   ...
//   worker.Shutdown();  // or worker.Run() to block until another thread calls Shutdown()
//
// Start() runs max_concurrent_workflow_tasks workflow pollers and max_concurrent_activities
// activity pollers (each polls, then executes what it got, so concurrency is bounded by the
// pool). Each workflow task is answered by replaying the full history (see replayer.h); so
// is each query task (a poll response with `query` set), with RespondQueryTaskCompleted.
// Poll errors (e.g. UNAVAILABLE while the server restarts) back off from 100 ms doubling to
// 2 s and retry forever; stderr gets one line when an outage starts and one when it ends.
// Shutdown() is graceful: outstanding long polls are cancelled, tasks in flight finish and are
// answered, then it returns.
//
// Thread safety: Register* must be called before Start(); Start, Run and Shutdown are
// thread-safe. The Client must outlive the Worker; the destructor calls Shutdown().
#ifndef WEFT_WORKER_H_
#define WEFT_WORKER_H_

#include <grpcpp/grpcpp.h>

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

struct WorkerOptions {
  std::string task_queue;
  int max_concurrent_workflow_tasks = 2;
  int max_concurrent_activities = 8;
  std::string identity;  // empty: the client's identity
  // Defaults of the breakers activities get from ActivityContext::Breaker(key).
  CircuitBreakerOptions circuit_breaker;
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

 private:
  // Polls one kind of task until shutdown, handing each task that arrives to `handle`.
  template <typename Request, typename Response, typename Rpc, typename Handle>
  void PollLoop(const char* what, Rpc rpc, Handle handle);
  void WorkflowLoop();
  void ActivityLoop();
  // Runs one long poll; false when shutting down. Backs off on errors.
  template <typename Request, typename Response, typename Call>
  bool Poll(const char* what, const Request& request, Response* response, Call call);
  void HandleWorkflowTask(const api::v1::PollWorkflowTaskQueueResponse& task);
  // A poll response with `query` set: replay, run the handler, RespondQueryTaskCompleted.
  void HandleQueryTask(const api::v1::PollWorkflowTaskQueueResponse& task);
  void HandleActivityTask(const api::v1::PollActivityTaskQueueResponse& task);
  // Calls a respond RPC, retrying UNAVAILABLE a few times; logs other errors except NOT_FOUND.
  template <typename Call>
  void Respond(const char* what, Call call);
  bool stopping() const;
  void Log(const std::string& line) const;

  Client& client_;
  WorkerOptions options_;
  std::map<std::string, WorkflowDefinition> workflows_;
  std::map<std::string, ActivityDefinition> activities_;
  CircuitBreakerRegistry breakers_;  // shared by the activities of this worker

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
