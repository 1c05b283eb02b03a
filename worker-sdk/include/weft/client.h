// weft::Client: starts, signals, cancels, terminates and awaits workflows over gRPC.
//
//   auto client = weft::Client::Connect({.address = "127.0.0.1:7233"});
//   if (!client.ok()) return client.status();
//   auto run = (*client)->StartWorkflow("Greeting", {.task_queue = "samples"}, std::string("Ann"));
//   absl::StatusOr<std::string> greeting =
//       (*client)->GetResult<std::string>(run->workflow_id, run->run_id, std::chrono::seconds(30));
//
// Every call returns absl::Status: gRPC errors keep their code and message, so UNAVAILABLE
// means "retry later", NOT_FOUND "no such workflow", ALREADY_EXISTS "id in use",
// UNAUTHENTICATED / PERMISSION_DENIED "check the credentials and roles", etc. Calls the server
// refuses for a rate limit (RESOURCE_EXHAUSTED) are retried after the server's hint, for up
// to 30 s, before that status is returned.
//
// Thread safety: all methods are thread-safe; one Client is meant to be shared (by Workers
// too). The Client must outlive the Workers built on it.
#ifndef WEFT_CLIENT_H_
#define WEFT_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "weft/api/v1/workflow_service.grpc.pb.h"
#include "weft/payload.h"
#include "weft/retry_policy.h"
#include "weft/search_attributes.h"

namespace weft {

struct ClientOptions {
  std::string address = "127.0.0.1:7233";
  std::string ns = "default";
  std::string identity;  // empty: "<pid>@<hostname>"
  // Credentials, sent with every call: a JWT (empty: $WEFT_TOKEN) or an API key (empty:
  // $WEFT_API_KEY); at most one of them.
  std::string token;
  std::string api_key;
  // TLS: set any of these PEM file paths to connect over TLS. tls_ca is the CA to trust
  // (empty: the system's roots); tls_cert and tls_key are a client certificate for mTLS.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
};

struct StartWorkflowOptions {
  std::string id;  // empty: a random UUID
  std::string task_queue;
  std::chrono::milliseconds execution_timeout{0};  // 0: unlimited / server default
  std::chrono::milliseconds run_timeout{0};
  std::chrono::milliseconds task_timeout{0};  // 0: server default (10 s)
  api::v1::WorkflowIdReusePolicy id_reuse_policy = api::v1::WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED;
  std::optional<RetryPolicy> retry_policy;
  std::map<std::string, nlohmann::json> memo;
  // 1 (highest) .. 5; 0: the server's default (3). The run's workflow tasks and, unless
  // they set their own, its activities are dispatched in this order on their task queues.
  int priority = 0;
  // Indexed values for ListWorkflows queries (weft/search_attributes.h).
  SearchAttributes search_attributes;
  // W3C traceparent the start continues, sent as `traceparent` metadata. The calling
  // thread's current trace (telemetry/scoped_trace.h), if any, wins; empty and no current
  // trace: a new trace. A malformed value is INVALID_ARGUMENT.
  std::string traceparent;
};

struct WorkflowRun {
  std::string workflow_id;
  std::string run_id;
  // The W3C trace id the start request was sent with: the run's events, the worker's task
  // spans and the log lines of server and worker carry it.
  std::string trace_id;
};

// Converts a gRPC status to an absl::Status with the same code and message.
absl::Status FromGrpcStatus(const grpc::Status& status);

class Client {
 public:
  static absl::StatusOr<std::unique_ptr<Client>> Connect(ClientOptions options);

  // For tests and custom channels (TLS, interceptors).
  Client(std::shared_ptr<api::v1::WorkflowService::StubInterface> stub, ClientOptions options);

  template <typename... Args>
  absl::StatusOr<WorkflowRun> StartWorkflow(std::string_view workflow_type,
                                            const StartWorkflowOptions& options,
                                            const Args&... args) {
    api::v1::Payloads input;
    try {
      input = ToPayloads(args...);
    } catch (const PayloadError& e) {
      return absl::InvalidArgumentError(e.what());
    }
    return StartWorkflowPayloads(workflow_type, options, std::move(input));
  }
  absl::StatusOr<WorkflowRun> StartWorkflowPayloads(std::string_view workflow_type,
                                                    const StartWorkflowOptions& options,
                                                    api::v1::Payloads input);

  // Sends signal `name` with one payload per argument. An empty run_id means the current run.
  template <typename... Args>
  absl::Status Signal(std::string_view workflow_id, std::string_view run_id, std::string_view name,
                      const Args&... args) {
    api::v1::Payloads input;
    try {
      input = ToPayloads(args...);
    } catch (const PayloadError& e) {
      return absl::InvalidArgumentError(e.what());
    }
    return SignalPayloads(workflow_id, run_id, name, std::move(input));
  }
  absl::Status SignalPayloads(std::string_view workflow_id, std::string_view run_id,
                              std::string_view name, api::v1::Payloads input);

  // Signals the workflow `options.id`, starting it first if it is not running. Build
  // `signal_input` with weft::ToPayloads(...).
  template <typename... Args>
  absl::StatusOr<WorkflowRun> SignalWithStart(std::string_view workflow_type,
                                              const StartWorkflowOptions& options,
                                              std::string_view signal_name,
                                              api::v1::Payloads signal_input, const Args&... args) {
    api::v1::Payloads input;
    try {
      input = ToPayloads(args...);
    } catch (const PayloadError& e) {
      return absl::InvalidArgumentError(e.what());
    }
    return SignalWithStartPayloads(workflow_type, options, signal_name, std::move(signal_input),
                                   std::move(input));
  }
  absl::StatusOr<WorkflowRun> SignalWithStartPayloads(std::string_view workflow_type,
                                                      const StartWorkflowOptions& options,
                                                      std::string_view signal_name,
                                                      api::v1::Payloads signal_input,
                                                      api::v1::Payloads input);

  // Asks the workflow to cancel (cooperative).
  absl::Status Cancel(std::string_view workflow_id, std::string_view run_id,
                      std::string_view reason = "");
  // Closes the run at once; no workflow code runs.
  absl::Status Terminate(std::string_view workflow_id, std::string_view run_id,
                         std::string_view reason = "");
  absl::StatusOr<api::v1::DescribeWorkflowExecutionResponse> Describe(std::string_view workflow_id,
                                                                      std::string_view run_id = "");

  // Waits up to `timeout` for the run to close and returns its close event. DEADLINE_EXCEEDED
  // when it is still running then. Retries UNAVAILABLE within the timeout.
  absl::StatusOr<api::v1::HistoryEvent> GetResultEvent(std::string_view workflow_id,
                                                       std::string_view run_id,
                                                       std::chrono::milliseconds timeout);

  // The result of a completed run, decoded as T. A run that continued as new is followed to
  // the next run (and so on) within `timeout`. A run that closed otherwise gives a status
  // naming the outcome: ABORTED "workflow failed: <message>", CANCELLED "workflow canceled",
  // ABORTED "workflow terminated: <reason>", DEADLINE_EXCEEDED "workflow timed out".
  template <typename T>
  absl::StatusOr<T> GetResult(std::string_view workflow_id, std::string_view run_id,
                              std::chrono::milliseconds timeout) {
    absl::StatusOr<api::v1::Payloads> result = GetResultPayloads(workflow_id, run_id, timeout);
    if (!result.ok()) return result.status();
    try {
      return FromFirstPayload<T>(*result);
    } catch (const PayloadError& e) {
      return absl::InvalidArgumentError(e.what());
    }
  }
  absl::StatusOr<api::v1::Payloads> GetResultPayloads(std::string_view workflow_id,
                                                      std::string_view run_id,
                                                      std::chrono::milliseconds timeout);

  // Asks a worker for query `query_type` of the run (empty run_id: the current run), with one
  // payload per argument, and decodes the answer as T. Errors: NOT_FOUND no such workflow;
  // INVALID_ARGUMENT or FAILED_PRECONDITION the worker could not answer (unknown query type,
  // the handler threw; the message says why); DEADLINE_EXCEEDED no worker answered in time.
  template <typename T, typename... Args>
  absl::StatusOr<T> Query(std::string_view workflow_id, std::string_view run_id,
                          std::string_view query_type, const Args&... args) {
    api::v1::Payloads input;
    try {
      input = ToPayloads(args...);
    } catch (const PayloadError& e) {
      return absl::InvalidArgumentError(e.what());
    }
    absl::StatusOr<api::v1::Payloads> result =
        QueryPayloads(workflow_id, run_id, query_type, std::move(input));
    if (!result.ok()) return result.status();
    try {
      return FromFirstPayload<T>(*result);
    } catch (const PayloadError& e) {
      return absl::InvalidArgumentError(e.what());
    }
  }
  absl::StatusOr<api::v1::Payloads> QueryPayloads(
      std::string_view workflow_id, std::string_view run_id, std::string_view query_type,
      api::v1::Payloads args, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // ---- schedules (client_schedules.cc) ----
  // Creates schedule `schedule_id` (see api/v1/schedule.proto for the fields). The request id
  // is random per call, so a retry of one call is idempotent. ALREADY_EXISTS when the id is
  // taken; INVALID_ARGUMENT names a bad field (e.g. "cron '61 * * * *': minute 61 is out of
  // range 0-59").
  absl::Status CreateSchedule(std::string_view schedule_id, const api::v1::Schedule& schedule,
                              const api::v1::Memo& memo = {});
  absl::StatusOr<api::v1::DescribeScheduleResponse> DescribeSchedule(std::string_view schedule_id);
  // Replaces the schedule; with a conflict token from DescribeSchedule the update is refused
  // (FAILED_PRECONDITION) if the schedule changed in between.
  absl::Status UpdateSchedule(std::string_view schedule_id, const api::v1::Schedule& schedule,
                              std::string_view conflict_token = "");
  // One page of the namespace's schedules; pass the returned next_page_token for the next.
  absl::StatusOr<api::v1::ListSchedulesResponse> ListSchedules(int page_size = 100,
                                                               std::string_view page_token = "");
  absl::Status PauseSchedule(std::string_view schedule_id, std::string_view note = "");
  absl::Status UnpauseSchedule(std::string_view schedule_id, std::string_view note = "");
  // Takes an action now; UNSPECIFIED: under the schedule's own overlap policy.
  absl::Status TriggerSchedule(
      std::string_view schedule_id,
      api::v1::ScheduleOverlapPolicy overlap_policy = api::v1::SCHEDULE_OVERLAP_POLICY_UNSPECIFIED);
  // Takes the actions the schedule would have taken in [start, end].
  absl::Status BackfillSchedule(
      std::string_view schedule_id, std::chrono::system_clock::time_point start,
      std::chrono::system_clock::time_point end,
      api::v1::ScheduleOverlapPolicy overlap_policy = api::v1::SCHEDULE_OVERLAP_POLICY_UNSPECIFIED);
  // Deletes the schedule; workflows it started are not touched.
  absl::Status DeleteSchedule(std::string_view schedule_id);

  // Runs matching a list query (e.g. "WorkflowType = 'Greeting' AND ExecutionStatus =
  // 'Running' ORDER BY StartTime DESC"; empty: every run, newest first), one page at a time:
  // pass the response's next_page_token back for the next page (empty when there is none).
  // INVALID_ARGUMENT explains a bad query.
  absl::StatusOr<api::v1::ListWorkflowExecutionsResponse> ListWorkflows(
      std::string_view query = "", std::string_view next_page_token = "", int page_size = 0);
  // How many runs match the query (no ORDER BY).
  absl::StatusOr<int64_t> CountWorkflows(std::string_view query = "");

  // ---- for Workers ----
  api::v1::WorkflowService::StubInterface& stub() { return *stub_; }
  const std::string& ns() const { return options_.ns; }
  const std::string& identity() const { return options_.identity; }

 private:
  api::v1::StartWorkflowExecutionRequest BuildStartRequest(std::string_view workflow_type,
                                                           const StartWorkflowOptions& options,
                                                           api::v1::Payloads input) const;

  std::shared_ptr<api::v1::WorkflowService::StubInterface> stub_;
  ClientOptions options_;
};

}  // namespace weft

#endif  // WEFT_CLIENT_H_
