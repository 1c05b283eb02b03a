// The CLI's handle on the server: a WorkflowService stub plus the per-call deadline and the
// translation of gRPC failures into one-line absl::Status messages (see rpc_error.h).
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

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/rpc_error.h"
#include "weft/api/v1/workflow_service.grpc.pb.h"

namespace weft::cli {

class ServiceClient {
 public:
  using Stub = api::v1::WorkflowService::StubInterface;
  template <typename Request, typename Response>
  using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);

  // Every call but long polls gets this deadline.
  static constexpr absl::Duration kDefaultDeadline = absl::Seconds(30);

  // A stub on an insecure channel to `address` ("host:port"). Connecting is lazy: an
  // unreachable server shows up as UNAVAILABLE on the first call.
  static std::unique_ptr<Stub> Connect(const std::string& address);

  ServiceClient(std::unique_ptr<Stub> stub, std::string address)
      : stub_(std::move(stub)), address_(std::move(address)) {}

  ServiceClient(const ServiceClient&) = delete;
  ServiceClient& operator=(const ServiceClient&) = delete;

  // Calls `method` with `request` and a deadline of `deadline` from now. On failure returns
  // the gRPC code with a message fit for the user (rpc_error.h).
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(Method<Request, Response> method, const Request& request,
                                absl::Duration deadline = kDefaultDeadline) const {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
    Response response;
    const grpc::Status status = ((*stub_).*method)(&context, request, &response);
    if (!status.ok()) return RpcErrorToStatus(status, address_, deadline);
    return response;
  }

  const std::string& address() const { return address_; }

 private:
  const std::unique_ptr<Stub> stub_;
  const std::string address_;
};

}  // namespace weft::cli

#endif  // WEFT_CLI_SERVICE_CLIENT_H_
