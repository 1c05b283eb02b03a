#include "weft/client.h"

#include <grpcpp/support/client_interceptor.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "call_retry.h"
#include "proto_time.h"
#include "trace_support.h"
#include "uuid.h"

namespace weft {
namespace {

using Clock = std::chrono::steady_clock;

// A single GetWorkflowExecutionHistory long poll waits at most this long; the server caps it
// at 60 s, and a shorter call lets us notice our own timeout in time.
constexpr auto kMaxPollSlice = std::chrono::seconds(50);

void SetDuration(std::chrono::milliseconds d, google::protobuf::Duration* out) {
  if (d.count() > 0) *out = detail::ToProtoDuration(d);
}

std::string EnvOr(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("Client: cannot read ", what, " ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const ClientOptions& options) {
  if (options.tls_ca.empty() && options.tls_cert.empty() && options.tls_key.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("Client: tls_cert and tls_key go together");
  }
  grpc::SslCredentialsOptions ssl;
  if (!options.tls_ca.empty()) {
    auto ca = ReadPem(options.tls_ca, "tls_ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
  }
  if (!options.tls_cert.empty()) {
    auto cert = ReadPem(options.tls_cert, "tls_cert");
    if (!cert.ok()) return cert.status();
    auto key = ReadPem(options.tls_key, "tls_key");
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *cert;
    ssl.pem_private_key = *key;
  }
  return grpc::SslCredentials(ssl);
}

// Adds one metadata entry to every outgoing call.
class MetadataInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetadataInterceptor(const std::string* key, const std::string* value)
      : key_(key), value_(value) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({*key_, *value_});
    }
    methods->Proceed();
  }

 private:
  const std::string* const key_;  // owned by the factory, which outlives the channel's calls
  const std::string* const value_;
};

class MetadataInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  MetadataInterceptorFactory(std::string key, std::string value)
      : key_(std::move(key)), value_(std::move(value)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new MetadataInterceptor(&key_, &value_);
  }

 private:
  const std::string key_;
  const std::string value_;
};

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::string_view(status.error_message()));
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(ClientOptions options) {
  if (options.address.empty()) return absl::InvalidArgumentError("Client: empty address");
  if (options.ns.empty()) return absl::InvalidArgumentError("Client: empty namespace");
  if (options.token.empty()) options.token = EnvOr("WEFT_TOKEN");
  if (options.api_key.empty()) options.api_key = EnvOr("WEFT_API_KEY");
  if (!options.token.empty() && !options.api_key.empty()) {
    return absl::InvalidArgumentError("Client: set token or api_key, not both");
  }
  auto creds = ChannelCredentials(options);
  if (!creds.ok()) return creds.status();
  grpc::ChannelArguments args;
  // Long polls are idle for up to 60 s: keep the connection alive through proxies.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  // gRPC's own reconnect backoff grows to 120 s, which would keep a restarted server
  // unreachable long after it is back; match the worker's 100 ms .. 2 s poll backoff.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  // Credentials ride in metadata added by an interceptor, so every call (the Worker's polls
  // too) carries them; call credentials proper would need TLS, which is optional here.
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  if (!options.token.empty()) {
    interceptors.push_back(
        std::make_unique<MetadataInterceptorFactory>("authorization", "Bearer " + options.token));
  } else if (!options.api_key.empty()) {
    interceptors.push_back(
        std::make_unique<MetadataInterceptorFactory>("x-weft-api-key", options.api_key));
  }
  auto channel = grpc::experimental::CreateCustomChannelWithInterceptors(
      options.address, *creds, args, std::move(interceptors));
  std::shared_ptr<api::v1::WorkflowService::StubInterface> stub =
      api::v1::WorkflowService::NewStub(channel);
  return std::make_unique<Client>(std::move(stub), std::move(options));
}

Client::Client(std::shared_ptr<api::v1::WorkflowService::StubInterface> stub, ClientOptions options)
    : stub_(std::move(stub)), options_(std::move(options)) {
  if (options_.identity.empty()) options_.identity = detail::DefaultIdentity();
}

api::v1::StartWorkflowExecutionRequest Client::BuildStartRequest(
    std::string_view workflow_type, const StartWorkflowOptions& options,
    api::v1::Payloads input) const {
  api::v1::StartWorkflowExecutionRequest req;
  req.set_namespace_(options_.ns);
  req.set_workflow_id(options.id.empty() ? detail::RandomUuid() : options.id);
  req.mutable_workflow_type()->set_name(std::string(workflow_type));
  req.mutable_task_queue()->set_name(options.task_queue);
  *req.mutable_input() = std::move(input);
  SetDuration(options.execution_timeout, req.mutable_workflow_execution_timeout());
  SetDuration(options.run_timeout, req.mutable_workflow_run_timeout());
  SetDuration(options.task_timeout, req.mutable_workflow_task_timeout());
  req.set_identity(options_.identity);
  req.set_request_id(detail::RandomUuid());
  req.set_workflow_id_reuse_policy(options.id_reuse_policy);
  if (options.retry_policy) *req.mutable_retry_policy() = options.retry_policy->ToProto();
  req.set_priority(options.priority);
  *req.mutable_search_attributes() = options.search_attributes.proto();
  for (const auto& [key, value] : options.memo) {
    (*req.mutable_memo()->mutable_fields())[key] = ToPayload(value);
  }
  return req;
}

absl::StatusOr<WorkflowRun> Client::StartWorkflowPayloads(std::string_view workflow_type,
                                                          const StartWorkflowOptions& options,
                                                          api::v1::Payloads input) {
  if (options.task_queue.empty()) {
    return absl::InvalidArgumentError("StartWorkflow: task_queue is required");
  }
  auto traceparent = detail::OutgoingTraceparent(options.traceparent);
  if (!traceparent.ok()) return traceparent.status();
  api::v1::StartWorkflowExecutionRequest req =
      BuildStartRequest(workflow_type, options, std::move(input));
  api::v1::StartWorkflowExecutionResponse resp;
  absl::Status status =
      FromGrpcStatus(detail::CallWithRateLimitRetry([&](grpc::ClientContext* ctx) {
        detail::AddTraceMetadata(ctx, *traceparent);
        return stub_->StartWorkflowExecution(ctx, req, &resp);
      }));
  if (!status.ok()) return status;
  return WorkflowRun{req.workflow_id(), resp.run_id(), detail::TraceIdOf(*traceparent)};
}

absl::Status Client::SignalPayloads(std::string_view workflow_id, std::string_view run_id,
                                    std::string_view name, api::v1::Payloads input) {
  api::v1::SignalWorkflowExecutionRequest req;
  req.set_namespace_(options_.ns);
  req.mutable_workflow_execution()->set_workflow_id(std::string(workflow_id));
  req.mutable_workflow_execution()->set_run_id(std::string(run_id));
  req.set_signal_name(std::string(name));
  *req.mutable_input() = std::move(input);
  req.set_identity(options_.identity);
  req.set_request_id(detail::RandomUuid());
  api::v1::SignalWorkflowExecutionResponse resp;
  auto traceparent = detail::OutgoingTraceparent();
  if (!traceparent.ok()) return traceparent.status();
  return FromGrpcStatus(detail::CallWithRateLimitRetry([&](grpc::ClientContext* ctx) {
    detail::AddTraceMetadata(ctx, *traceparent);
    return stub_->SignalWorkflowExecution(ctx, req, &resp);
  }));
}

absl::StatusOr<WorkflowRun> Client::SignalWithStartPayloads(std::string_view workflow_type,
                                                            const StartWorkflowOptions& options,
                                                            std::string_view signal_name,
                                                            api::v1::Payloads signal_input,
                                                            api::v1::Payloads input) {
  if (options.id.empty()) return absl::InvalidArgumentError("SignalWithStart: id is required");
  if (options.task_queue.empty()) {
    return absl::InvalidArgumentError("SignalWithStart: task_queue is required");
  }
  auto traceparent = detail::OutgoingTraceparent(options.traceparent);
  if (!traceparent.ok()) return traceparent.status();
  api::v1::SignalWithStartWorkflowExecutionRequest req;
  *req.mutable_start() = BuildStartRequest(workflow_type, options, std::move(input));
  req.set_signal_name(std::string(signal_name));
  *req.mutable_signal_input() = std::move(signal_input);
  api::v1::SignalWithStartWorkflowExecutionResponse resp;
  absl::Status status =
      FromGrpcStatus(detail::CallWithRateLimitRetry([&](grpc::ClientContext* ctx) {
        detail::AddTraceMetadata(ctx, *traceparent);
        return stub_->SignalWithStartWorkflowExecution(ctx, req, &resp);
      }));
  if (!status.ok()) return status;
  return WorkflowRun{options.id, resp.run_id(), detail::TraceIdOf(*traceparent)};
}

absl::Status Client::Cancel(std::string_view workflow_id, std::string_view run_id,
                            std::string_view reason) {
  api::v1::RequestCancelWorkflowExecutionRequest req;
  req.set_namespace_(options_.ns);
  req.mutable_workflow_execution()->set_workflow_id(std::string(workflow_id));
  req.mutable_workflow_execution()->set_run_id(std::string(run_id));
  req.set_identity(options_.identity);
  req.set_request_id(detail::RandomUuid());
  req.set_reason(std::string(reason));
  api::v1::RequestCancelWorkflowExecutionResponse resp;
  auto traceparent = detail::OutgoingTraceparent();
  if (!traceparent.ok()) return traceparent.status();
  return FromGrpcStatus(detail::CallWithRateLimitRetry([&](grpc::ClientContext* ctx) {
    detail::AddTraceMetadata(ctx, *traceparent);
    return stub_->RequestCancelWorkflowExecution(ctx, req, &resp);
  }));
}

absl::Status Client::Terminate(std::string_view workflow_id, std::string_view run_id,
                               std::string_view reason) {
  api::v1::TerminateWorkflowExecutionRequest req;
  req.set_namespace_(options_.ns);
  req.mutable_workflow_execution()->set_workflow_id(std::string(workflow_id));
  req.mutable_workflow_execution()->set_run_id(std::string(run_id));
  req.set_reason(std::string(reason));
  req.set_identity(options_.identity);
  api::v1::TerminateWorkflowExecutionResponse resp;
  auto traceparent = detail::OutgoingTraceparent();
  if (!traceparent.ok()) return traceparent.status();
  return FromGrpcStatus(detail::CallWithRateLimitRetry([&](grpc::ClientContext* ctx) {
    detail::AddTraceMetadata(ctx, *traceparent);
    return stub_->TerminateWorkflowExecution(ctx, req, &resp);
  }));
}

absl::StatusOr<api::v1::DescribeWorkflowExecutionResponse> Client::Describe(
    std::string_view workflow_id, std::string_view run_id) {
  api::v1::DescribeWorkflowExecutionRequest req;
  req.set_namespace_(options_.ns);
  req.mutable_execution()->set_workflow_id(std::string(workflow_id));
  req.mutable_execution()->set_run_id(std::string(run_id));
  api::v1::DescribeWorkflowExecutionResponse resp;
  absl::Status status = FromGrpcStatus(detail::CallWithRateLimitRetry(
      [&](grpc::ClientContext* ctx) { return stub_->DescribeWorkflowExecution(ctx, req, &resp); }));
  if (!status.ok()) return status;
  return resp;
}

absl::StatusOr<api::v1::HistoryEvent> Client::GetResultEvent(std::string_view workflow_id,
                                                             std::string_view run_id,
                                                             std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  api::v1::GetWorkflowExecutionHistoryRequest req;
  req.set_namespace_(options_.ns);
  req.mutable_execution()->set_workflow_id(std::string(workflow_id));
  req.mutable_execution()->set_run_id(std::string(run_id));
  req.set_wait_new_event(true);
  req.set_history_event_filter_type(api::v1::HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
  auto backoff = std::chrono::milliseconds(100);
  while (true) {
    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("timed out waiting for the result of workflow ", std::string(workflow_id)));
    }
    grpc::ClientContext ctx;
    // gRPC deadlines are wall-clock; our own timeout is measured on the steady clock.
    Clock::duration slice = std::min<Clock::duration>(deadline - now, kMaxPollSlice);
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::duration_cast<std::chrono::system_clock::duration>(slice));
    api::v1::GetWorkflowExecutionHistoryResponse resp;
    grpc::Status status = stub_->GetWorkflowExecutionHistory(&ctx, req, &resp);
    if (status.ok()) {
      backoff = std::chrono::milliseconds(100);
      if (resp.history().events_size() > 0) {
        return resp.history().events(resp.history().events_size() - 1);
      }
      req.set_next_page_token(resp.next_page_token());
      continue;
    }
    // Our own slice deadline (or the server's) passed: poll again until `deadline`.
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) continue;
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
        status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      Clock::duration hint =
          absl::ToChronoMilliseconds(detail::RetryAfter(ctx, absl::ZeroDuration()));
      auto wait = std::min<Clock::duration>(std::max<Clock::duration>(backoff, hint),
                                            deadline - Clock::now());
      if (wait > Clock::duration::zero()) std::this_thread::sleep_for(wait);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
      continue;
    }
    return FromGrpcStatus(status);
  }
}

absl::StatusOr<api::v1::Payloads> Client::GetResultPayloads(std::string_view workflow_id,
                                                            std::string_view run_id,
                                                            std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  std::string current_run(run_id);
  while (true) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    absl::StatusOr<api::v1::HistoryEvent> event =
        GetResultEvent(workflow_id, current_run, std::max(remaining, std::chrono::milliseconds(0)));
    if (!event.ok()) return event.status();
    switch (event->event_type()) {
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        // Follow the chain: the result is the last run's.
        current_run =
            event->workflow_execution_continued_as_new_event_attributes().new_execution_run_id();
        if (current_run.empty()) {
          return absl::InternalError("continued-as-new event without the new run id");
        }
        continue;
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        return event->workflow_execution_completed_event_attributes().result();
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: {
        const auto& failure = event->workflow_execution_failed_event_attributes().failure();
        std::string message = absl::StrCat("workflow failed: ", failure.message());
        if (!failure.type().empty()) absl::StrAppend(&message, " (", failure.type(), ")");
        return absl::AbortedError(message);
      }
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
        return absl::CancelledError("workflow canceled");
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        return absl::AbortedError(
            absl::StrCat("workflow terminated: ",
                         event->workflow_execution_terminated_event_attributes().reason()));
      case api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
        return absl::DeadlineExceededError("workflow timed out");
      default:
        return absl::InternalError(
            absl::StrCat("unexpected close event ", api::v1::EventType_Name(event->event_type())));
    }
  }
}

absl::StatusOr<api::v1::Payloads> Client::QueryPayloads(std::string_view workflow_id,
                                                        std::string_view run_id,
                                                        std::string_view query_type,
                                                        api::v1::Payloads args,
                                                        std::chrono::milliseconds timeout) {
  api::v1::QueryWorkflowRequest req;
  req.set_namespace_(options_.ns);
  req.mutable_execution()->set_workflow_id(std::string(workflow_id));
  req.mutable_execution()->set_run_id(std::string(run_id));
  req.mutable_query()->set_query_type(std::string(query_type));
  *req.mutable_query()->mutable_query_args() = std::move(args);
  api::v1::QueryWorkflowResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  absl::Status status = FromGrpcStatus(stub_->QueryWorkflow(&ctx, req, &resp));
  if (!status.ok()) return status;
  return std::move(*resp.mutable_query_result());
}

}  // namespace weft
