// The CLI's handle on the server: WorkflowService and AdminService stubs plus the per-call
// deadline, the caller's credentials (sent as gRPC metadata on every call: `authorization:
// Bearer <token>` or `x-weft-api-key: <key>`), and the translation of gRPC failures into
// one-line absl::Status messages (see rpc_error.h).
//
// Example:
//   ServiceClient client(ServiceClient::Connect("127.0.0.1:7233"), "127.0.0.1:7233");
//   absl::StatusOr<DescribeNamespaceResponse> r =
//       client.Call(&WorkflowService::StubInterface::DescribeNamespace, request);
//
// Thread safety: Call may be used from several threads at once (gRPC stubs are thread-safe).
// Ownership: the client owns its stub; the stub shares ownership of its channel.
#ifndef WEFT_CLI_SERVICE_CLIENT_H_
#define WEFT_CLI_SERVICE_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/rpc_error.h"
#include "weft/api/v1/admin_service.grpc.pb.h"
#include "weft/api/v1/workflow_service.grpc.pb.h"

namespace weft::cli {

// How to reach the server and who to say we are.
struct ConnectionOptions {
  std::string address = "127.0.0.1:7233";
  std::string token;     // a JWT, sent as "authorization: Bearer <token>"
  std::string api_key;   // sent as "x-weft-api-key"
  std::string tls_ca;    // PEM file: use TLS and trust this CA (empty with TLS: system roots)
  std::string tls_cert;  // PEM file: client certificate for mTLS
  std::string tls_key;   // PEM file: its private key
  bool tls() const { return !tls_ca.empty() || !tls_cert.empty() || !tls_key.empty(); }
};

class ServiceClient {
 public:
  using Stub = api::v1::WorkflowService::StubInterface;
  using AdminStub = api::v1::AdminService::StubInterface;
  template <typename Request, typename Response>
  using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);
  template <typename Request, typename Response>
  using AdminMethod = grpc::Status (AdminStub::*)(grpc::ClientContext*, const Request&, Response*);

  // Every call but long polls gets this deadline.
  static constexpr absl::Duration kDefaultDeadline = absl::Seconds(30);

  // A stub on an insecure channel to `address` ("host:port"). Connecting is lazy: an
  // unreachable server shows up as UNAVAILABLE on the first call.
  static std::unique_ptr<Stub> Connect(const std::string& address);
  // A client for `options`: TLS when any tls_* file is given, credentials on every call.
  // INVALID_ARGUMENT when a TLS file cannot be read or both token and API key are set.
  static absl::StatusOr<std::unique_ptr<ServiceClient>> Open(const ConnectionOptions& options);

  ServiceClient(std::unique_ptr<Stub> stub, std::string address)
      : stub_(std::move(stub)), address_(std::move(address)) {}
  ServiceClient(std::unique_ptr<Stub> stub, std::unique_ptr<AdminStub> admin,
                ConnectionOptions options)
      : stub_(std::move(stub)),
        admin_(std::move(admin)),
        address_(options.address),
        token_(std::move(options.token)),
        api_key_(std::move(options.api_key)) {}
  // A client whose every call fails with `error` (e.g. an unreadable --tls-ca file).
  ServiceClient(absl::Status error, std::string address)
      : address_(std::move(address)), error_(std::move(error)) {}

  ServiceClient(const ServiceClient&) = delete;
  ServiceClient& operator=(const ServiceClient&) = delete;

  // Extra gRPC metadata for one call (e.g. traceparent), lower-case keys.
  using Metadata = std::vector<std::pair<std::string, std::string>>;

  // Calls `method` with `request` and a deadline of `deadline` from now. On failure returns
  // the gRPC code with a message fit for the user (rpc_error.h).
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(Method<Request, Response> method, const Request& request,
                                absl::Duration deadline = kDefaultDeadline,
                                const Metadata& metadata = {}) const {
    if (stub_ == nullptr) return error_.ok() ? absl::FailedPreconditionError("no stub") : error_;
    return Invoke(*stub_, method, request, deadline, metadata);
  }
  // The same for AdminService calls.
  template <typename Request, typename Response>
  absl::StatusOr<Response> CallAdmin(AdminMethod<Request, Response> method, const Request& request,
                                     absl::Duration deadline = kDefaultDeadline) const {
    if (admin_ == nullptr) {
      return error_.ok() ? absl::FailedPreconditionError("no AdminService stub") : error_;
    }
    return Invoke(*admin_, method, request, deadline);
  }

  const std::string& address() const { return address_; }

 private:
  template <typename S, typename Request, typename Response>
  absl::StatusOr<Response> Invoke(
      S& stub, grpc::Status (S::*method)(grpc::ClientContext*, const Request&, Response*),
      const Request& request, absl::Duration deadline, const Metadata& metadata = {}) const {
    if (!error_.ok()) return error_;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    if (!token_.empty()) context.AddMetadata("authorization", "Bearer " + token_);
    if (!api_key_.empty()) context.AddMetadata("x-weft-api-key", api_key_);
    Response response;
    const grpc::Status status = (stub.*method)(&context, request, &response);
    if (!status.ok()) return RpcErrorToStatus(status, address_, deadline);
    return response;
  }

  const std::unique_ptr<Stub> stub_;
  const std::unique_ptr<AdminStub> admin_;
  const std::string address_;
  const std::string token_;
  const std::string api_key_;
  const absl::Status error_;
};

}  // namespace weft::cli

#endif  // WEFT_CLI_SERVICE_CLIENT_H_
