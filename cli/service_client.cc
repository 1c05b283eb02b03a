#include "cli/service_client.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace weft::cli {
namespace {

grpc::ChannelArguments ChannelArgs() {
  grpc::ChannelArguments args;
  // Results and histories can be large; the server enforces its own payload limits.
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  return args;
}

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::unique_ptr<ServiceClient::Stub> ServiceClient::Connect(const std::string& address) {
  return api::v1::WorkflowService::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), ChannelArgs()));
}

absl::StatusOr<std::unique_ptr<ServiceClient>> ServiceClient::Open(
    const ConnectionOptions& options) {
  if (!options.token.empty() && !options.api_key.empty()) {
    return absl::InvalidArgumentError("give --token or --api-key, not both");
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (options.tls()) {
    grpc::SslCredentialsOptions ssl;
    if (!options.tls_ca.empty()) {
      auto ca = ReadPem(options.tls_ca, "--tls-ca");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (!options.tls_cert.empty()) {
      auto cert = ReadPem(options.tls_cert, "--tls-cert");
      if (!cert.ok()) return cert.status();
      auto key = ReadPem(options.tls_key, "--tls-key");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    creds = grpc::SslCredentials(ssl);
  }
  auto channel = grpc::CreateCustomChannel(options.address, creds, ChannelArgs());
  return std::make_unique<ServiceClient>(api::v1::WorkflowService::NewStub(channel),
                                         api::v1::AdminService::NewStub(channel), options);
}

}  // namespace weft::cli
