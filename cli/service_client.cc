#include "cli/service_client.h"

namespace weft::cli {

std::unique_ptr<ServiceClient::Stub> ServiceClient::Connect(const std::string& address) {
  grpc::ChannelArguments args;
  // Results and histories can be large; the server enforces its own payload limits.
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  return api::v1::WorkflowService::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
}

}  // namespace weft::cli
