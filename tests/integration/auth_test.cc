// Integration tests of authentication, authorization, rate limits, the audit log and TLS: a
// real weft-server in-process with auth on, called over loopback gRPC with tokens, API keys
// and client certificates made at test time.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "server/app/weft_server.h"
#include "server/frontend/auth/testing/test_keys.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"
#include "weft/api/v1/admin_service.grpc.pb.h"
#include "weft/api/v1/workflow_service.grpc.pb.h"
#include "weft/client.h"

namespace weft {
namespace {

using namespace api::v1;  // NOLINT: test brevity
using frontend::auth::testing::NowPlus;
using frontend::auth::testing::TestKey;
using frontend::auth::testing::WriteFile;
using nlohmann::json;

constexpr char kSecret[] = "an-hs256-secret-for-tests-only-0123456789";
constexpr char kIssuer[] = "https://idp.test";
constexpr char kAudience[] = "weft";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A credential as the client sends it: metadata headers, or none.
struct Credential {
  std::string header;
  std::string value;
};

Credential Bearer(const std::string& jwt) { return {"authorization", "Bearer " + jwt}; }
Credential ApiKey(const std::string& key) { return {"x-weft-api-key", key}; }

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.path() + "/secret", kSecret);
    cfg_.dev = true;  // creates "default"; the auth settings keep authentication on
    cfg_.data_dir = dir_.path() + "/data";
    cfg_.grpc_address = "127.0.0.1:0";
    cfg_.http_address = "127.0.0.1:0";
    cfg_.auth_jwt_secret_file = dir_.path() + "/secret";
    cfg_.auth_issuer = kIssuer;
    cfg_.auth_audience = kAudience;
    cfg_.audit_log = dir_.path() + "/audit.jsonl";
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  void Start() {
    auto s = app::WeftServer::Start(cfg_);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = WorkflowService::NewStub(channel_);
    admin_ = AdminService::NewStub(channel_);
  }

  std::string Token(const json& roles, int64_t exp_delta = 300, const std::string& sub = "alice",
                    const std::string& aud = kAudience, const std::string& secret = kSecret) {
    return TestKey::Hmac(secret).Sign({{"sub", sub},
                                       {"iss", kIssuer},
                                       {"aud", aud},
                                       {"exp", NowPlus(exp_delta)},
                                       {"roles", roles}});
  }
  std::string AdminToken() { return Token({"admin"}, 300, "root"); }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::optional<Credential>& cred) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (cred) ctx->AddMetadata(cred->header, cred->value);
    return ctx;
  }

  // An API key made by an admin; returns its secret and id.
  std::pair<std::string, std::string> CreateKey(const std::vector<std::string>& roles) {
    CreateApiKeyRequest req;
    req.set_owner("test");
    for (const auto& r : roles) req.add_roles(r);
    CreateApiKeyResponse resp;
    grpc::Status s = admin_->CreateApiKey(Ctx(Bearer(AdminToken())).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.secret(), resp.key().id()};
  }

  grpc::Status StartWf(const std::optional<Credential>& cred, const std::string& id = "wf") {
    StartWorkflowExecutionRequest req;
    req.set_namespace_("default");
    req.set_workflow_id(id);
    req.mutable_workflow_type()->set_name("T");
    req.mutable_task_queue()->set_name("q");
    StartWorkflowExecutionResponse resp;
    return stub_->StartWorkflowExecution(Ctx(cred).get(), req, &resp);
  }

  weft::testing::TempDir dir_;
  app::ServerConfig cfg_;
  std::unique_ptr<app::WeftServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<WorkflowService::Stub> stub_;
  std::unique_ptr<AdminService::Stub> admin_;
};

TEST(AuthStartupTest, ANonDevStartWithoutAnyAuthMethodIsRefused) {
  weft::testing::TempDir dir;
  app::ServerConfig cfg;
  cfg.data_dir = dir.path();
  cfg.grpc_address = "127.0.0.1:0";
  cfg.http_address = "127.0.0.1:0";
  auto s = app::WeftServer::Start(cfg);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("--insecure-no-auth"), std::string::npos) << s.status();
  cfg.insecure_no_auth = true;
  auto ok = app::WeftServer::Start(cfg);
  ASSERT_TRUE(ok.ok()) << ok.status();
  (*ok)->Shutdown();
}

TEST(AuthStartupTest, BootstrapAdminKeyIsWrittenOnceAndWorks) {
  weft::testing::TempDir dir;
  app::ServerConfig cfg;
  cfg.data_dir = dir.path() + "/data";
  cfg.grpc_address = "127.0.0.1:0";
  cfg.http_address = "127.0.0.1:0";
  cfg.auth_bootstrap_admin_key_file = dir.path() + "/admin.key";
  auto s = app::WeftServer::Start(cfg);
  ASSERT_TRUE(s.ok()) << s.status();
  std::string key = ReadAll(cfg.auth_bootstrap_admin_key_file);
  ASSERT_EQ(key.rfind("weft_", 0), 0u);
  key.pop_back();  // newline
  EXPECT_EQ(std::filesystem::status(cfg.auth_bootstrap_admin_key_file).permissions() &
                std::filesystem::perms::group_read,
            std::filesystem::perms::none);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string((*s)->grpc_port()),
                                     grpc::InsecureChannelCredentials());
  auto ws = WorkflowService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-weft-api-key", key);
  RegisterNamespaceRequest req;
  req.set_namespace_("payments");
  RegisterNamespaceResponse resp;
  grpc::Status st = ws->RegisterNamespace(&ctx, req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  (*s)->Shutdown();
  s->reset();
  // A second start leaves the file (and the key) alone.
  auto again = app::WeftServer::Start(cfg);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ReadAll(cfg.auth_bootstrap_admin_key_file), key + "\n");
  (*again)->Shutdown();
}

TEST(AuthStartupTest, YamlTakesTheSameKeysAsTheFlags) {
  weft::testing::TempDir dir;
  WriteFile(dir.path() + "/weft.yaml",
            "auth-jwt-secret-file: /etc/secret\nauth-audience: weft\nauth-roles-claim: "
            "groups\naudit-log: /tmp/a.jsonl\nrate-limit-caller-rps: 5\n");
  std::string file = dir.path() + "/weft.yaml";
  std::vector<const char*> argv = {"weft-server", "--config", file.c_str(), "--auth-audience",
                                   "flag-wins"};
  auto cfg = app::ParseServerConfig(static_cast<int>(argv.size()), const_cast<char**>(argv.data()));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->auth_jwt_secret_file, "/etc/secret");
  EXPECT_EQ(cfg->auth_audience, "flag-wins");
  EXPECT_EQ(cfg->auth_roles_claim, "groups");
  EXPECT_EQ(cfg->audit_log, "/tmp/a.jsonl");
  EXPECT_EQ(cfg->rate_limit_caller_rps, 5);
  EXPECT_TRUE(cfg->AuthEnabled());

  std::vector<const char*> half_tls = {"weft-server", "--tls-cert", "x.pem"};
  EXPECT_FALSE(app::ParseServerConfig(3, const_cast<char**>(half_tls.data())).ok());
  std::vector<const char*> dev = {"weft-server", "--dev"};
  EXPECT_FALSE(app::ParseServerConfig(2, const_cast<char**>(dev.data()))->AuthEnabled());
  std::vector<const char*> contradiction = {"weft-server", "--insecure-no-auth", "--auth-jwt-keys",
                                            "k.pem"};
  EXPECT_FALSE(app::ParseServerConfig(4, const_cast<char**>(contradiction.data())).ok());
}

TEST_F(AuthTest, JwtRolesDecideWhatACallerMayDo) {
  Start();
  {
    auto ctx = Ctx(Bearer(Token({"default:writer"})));
    ctx->AddMetadata("x-weft-api-key", "weft_0123456789abcdef_x");
    StartWorkflowExecutionRequest req;
    StartWorkflowExecutionResponse resp;
    grpc::Status both = stub_->StartWorkflowExecution(ctx.get(), req, &resp);
    EXPECT_EQ(both.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_NE(both.error_message().find("send one credential"), std::string::npos);
  }
  EXPECT_EQ(StartWf(Credential{"authorization", "Basic cm9vdDpyb290"}).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status none = StartWf(std::nullopt);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(none.error_message().find("no credentials"), std::string::npos);
  EXPECT_TRUE(StartWf(Bearer(Token({"default:writer"}))).ok());
  grpc::Status reader = StartWf(Bearer(Token({"default:reader"})), "wf2");
  EXPECT_EQ(reader.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(reader.error_message(),
            "\"alice\" may not call StartWorkflowExecution in namespace \"default\" (needs "
            "writer, namespace-admin or admin)");
  grpc::Status expired = StartWf(Bearer(Token({"default:writer"}, -3600)), "wf3");
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(expired.error_message().find("expired"), std::string::npos);
}

TEST_F(AuthTest, TooManyHeadersAreRefusedBeforeAuthentication) {
  Start();
  auto ctx = Ctx(Bearer(Token({"admin"})));
  for (int i = 0; i < 80; ++i) ctx->AddMetadata("x-pad-" + std::to_string(i), "1");
  ListNamespacesResponse resp;
  grpc::Status s = stub_->ListNamespaces(ctx.get(), ListNamespacesRequest(), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("at most 64"), std::string::npos) << s.error_message();
  // A normal request on the same server is fine.
  EXPECT_TRUE(
      stub_->ListNamespaces(Ctx(Bearer(Token({"admin"}))).get(), ListNamespacesRequest(), &resp)
          .ok());
}

TEST_F(AuthTest, ListNamespacesShowsOnlyTheCallersNamespacesUnlessAdmin) {
  Start();
  RegisterNamespaceRequest reg;
  reg.set_namespace_("payments");
  RegisterNamespaceResponse reg_resp;
  ASSERT_TRUE(stub_->RegisterNamespace(Ctx(Bearer(Token({"admin"}))).get(), reg, &reg_resp).ok());
  auto names = [&](const std::vector<std::string>& roles) {
    ListNamespacesResponse resp;
    grpc::Status s =
        stub_->ListNamespaces(Ctx(Bearer(Token(roles))).get(), ListNamespacesRequest(), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> out;
    for (const auto& n : resp.namespaces()) out.push_back(n.name());
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(names({"admin"}), (std::vector<std::string>{"default", "payments"}));
  EXPECT_EQ(names({"default:reader"}), (std::vector<std::string>{"default"}));
  EXPECT_EQ(names({"payments:worker"}), (std::vector<std::string>{"payments"}));
  EXPECT_TRUE(names({}).empty());
}

TEST_F(AuthTest, RsAndEsKeysFromAJwksFile) {
  TestKey rsa = TestKey::Rsa("rsa-1");
  TestKey ec = TestKey::EcP256("ec-1");
  WriteFile(dir_.path() + "/jwks.json", json{{"keys", {rsa.Jwk(), ec.Jwk()}}}.dump());
  cfg_.auth_jwt_keys = dir_.path() + "/jwks.json";
  Start();
  json claims = {{"sub", "svc"},
                 {"iss", kIssuer},
                 {"aud", kAudience},
                 {"exp", NowPlus(60)},
                 {"roles", {"default:writer"}}};
  EXPECT_TRUE(StartWf(Bearer(rsa.Sign(claims)), "a").ok());
  EXPECT_TRUE(StartWf(Bearer(ec.Sign(claims)), "b").ok());
  EXPECT_EQ(StartWf(Bearer(TestKey::Rsa("rsa-1").Sign(claims)), "c").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthTest, ApiKeysAreShownOnceWorkAndStopWorkingWhenRevoked) {
  Start();
  auto [secret, id] = CreateKey({"default:writer"});
  ASSERT_FALSE(secret.empty());
  EXPECT_TRUE(StartWf(ApiKey(secret)).ok());

  ListApiKeysRequest lreq;
  ListApiKeysResponse list;
  ASSERT_TRUE(admin_->ListApiKeys(Ctx(Bearer(AdminToken())).get(), lreq, &list).ok());
  ASSERT_EQ(list.keys_size(), 1);
  EXPECT_EQ(list.keys(0).id(), id);
  EXPECT_EQ(list.keys(0).created_by(), "root");
  EXPECT_EQ(list.DebugString().find(secret.substr(22)), std::string::npos);

  // Only admins manage keys.
  CreateApiKeyRequest creq;
  creq.set_owner("x");
  creq.add_roles("admin");
  CreateApiKeyResponse cresp;
  EXPECT_EQ(admin_->CreateApiKey(Ctx(ApiKey(secret)).get(), creq, &cresp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  RevokeApiKeyRequest rreq;
  rreq.set_id(id);
  RevokeApiKeyResponse rresp;
  ASSERT_TRUE(admin_->RevokeApiKey(Ctx(Bearer(AdminToken())).get(), rreq, &rresp).ok());
  grpc::Status revoked = StartWf(ApiKey(secret), "again");
  EXPECT_EQ(revoked.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(revoked.error_message().find("revoked"), std::string::npos);

  // Keys survive a restart.
  auto [secret2, id2] = CreateKey({"default:writer"});
  server_->Shutdown();
  server_.reset();
  Start();
  EXPECT_TRUE(StartWf(ApiKey(secret2), "after-restart").ok());
  EXPECT_EQ(StartWf(ApiKey(secret), "after-restart-2").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthTest, GrantedRolesAddToTheCredentialsAndNamespaceAdminsGrantInTheirNamespace) {
  Start();
  std::string bob = Token(json::array(), 300, "bob");
  EXPECT_EQ(StartWf(Bearer(bob)).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  std::string carol = Token({"default:namespace-admin"}, 300, "carol");
  GrantRoleRequest g;
  g.set_subject("bob");
  g.set_role("default:writer");
  GrantRoleResponse gr;
  ASSERT_TRUE(admin_->GrantRole(Ctx(Bearer(carol)).get(), g, &gr).ok());
  EXPECT_TRUE(StartWf(Bearer(bob)).ok());
  g.set_role("admin");  // not carol's to give
  EXPECT_EQ(admin_->GrantRole(Ctx(Bearer(carol)).get(), g, &gr).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  g.set_role("other:writer");
  EXPECT_EQ(admin_->GrantRole(Ctx(Bearer(carol)).get(), g, &gr).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  ListRolesRequest lr;
  lr.set_namespace_("default");
  ListRolesResponse roles;
  ASSERT_TRUE(admin_->ListRoles(Ctx(Bearer(carol)).get(), lr, &roles).ok());
  ASSERT_EQ(roles.grants_size(), 1);
  EXPECT_EQ(roles.grants(0).subject(), "bob");

  RevokeRoleRequest r;
  r.set_subject("bob");
  r.set_role("default:writer");
  RevokeRoleResponse rr;
  ASSERT_TRUE(admin_->RevokeRole(Ctx(Bearer(carol)).get(), r, &rr).ok());
  EXPECT_EQ(StartWf(Bearer(bob), "wf-2").error_code(), grpc::StatusCode::PERMISSION_DENIED);

  WhoAmIRequest w;
  WhoAmIResponse me;
  ASSERT_TRUE(admin_->WhoAmI(Ctx(Bearer(carol)).get(), w, &me).ok());
  EXPECT_EQ(me.subject(), "carol");
  EXPECT_EQ(me.auth_method(), "jwt");
  ASSERT_EQ(me.roles_size(), 1);
  EXPECT_EQ(me.roles(0), "default:namespace-admin");
}

TEST_F(AuthTest, RateLimitsAnswerResourceExhaustedWithARetryHint) {
  cfg_.rate_limit_caller_rps = 1;
  Start();
  std::string token = Token({"default:writer"});
  ASSERT_TRUE(StartWf(Bearer(token), "r1").ok());
  auto ctx = Ctx(Bearer(token));
  StartWorkflowExecutionRequest req;
  req.set_namespace_("default");
  req.set_workflow_id("r2");
  req.mutable_workflow_type()->set_name("T");
  req.mutable_task_queue()->set_name("q");
  StartWorkflowExecutionResponse resp;
  grpc::Status s = stub_->StartWorkflowExecution(ctx.get(), req, &resp);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_NE(s.error_message().find("retry after"), std::string::npos);
  auto md = ctx->GetServerTrailingMetadata();
  auto it = md.find("x-weft-retry-after-ms");
  ASSERT_NE(it, md.end());
  int ms = std::stoi(std::string(it->second.data(), it->second.size()));
  EXPECT_GT(ms, 0);
  EXPECT_LE(ms, 1000);
}

TEST_F(AuthTest, AuditLogHasWritesAndDenialsButNoSecrets) {
  Start();
  std::string writer = Token({"default:writer"});
  ASSERT_TRUE(StartWf(Bearer(writer), "audited").ok());
  ASSERT_EQ(StartWf(Bearer(Token({"default:reader"}, 300, "rita")), "nope").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_EQ(StartWf(ApiKey("weft_0123456789abcdef_notarealsecret"), "x").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto [secret, id] = CreateKey({"default:reader"});
  server_->Shutdown();
  std::string log = ReadAll(cfg_.audit_log);
  std::vector<json> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 4u) << log;
  EXPECT_EQ(lines[0]["subject"], "alice");
  EXPECT_EQ(lines[0]["auth"], "jwt");
  EXPECT_EQ(lines[0]["method"], "StartWorkflowExecution");
  EXPECT_EQ(lines[0]["namespace"], "default");
  EXPECT_EQ(lines[0]["target"], "audited");
  EXPECT_EQ(lines[0]["outcome"], "OK");
  EXPECT_EQ(lines[1]["subject"], "rita");
  EXPECT_EQ(lines[1]["outcome"], "PERMISSION_DENIED");
  EXPECT_EQ(lines[2]["outcome"], "UNAUTHENTICATED");
  EXPECT_EQ(lines[3]["method"], "CreateApiKey");
  EXPECT_EQ(lines[3]["subject"], "root");
  EXPECT_EQ(log.find(secret.substr(22)), std::string::npos);
  EXPECT_EQ(log.find("notarealsecret"), std::string::npos);
  EXPECT_EQ(log.find(writer.substr(writer.rfind('.') + 1)), std::string::npos);

  // Queryable: an admin sees everything, newest last; a namespace filter applies.
  Start();
  ListAuditEventsRequest req;
  req.set_namespace_("default");
  ListAuditEventsResponse events;
  grpc::Status s = admin_->ListAuditEvents(Ctx(Bearer(AdminToken())).get(), req, &events);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(events.events_size(), 3);  // CreateApiKey is cluster-wide
  EXPECT_EQ(events.events(0).target(), "audited");
  EXPECT_EQ(events.events(1).subject(), "rita");
  req.set_limit(1);
  req.clear_namespace_();
  ASSERT_TRUE(admin_->ListAuditEvents(Ctx(Bearer(AdminToken())).get(), req, &events).ok());
  ASSERT_EQ(events.events_size(), 1);
  EXPECT_EQ(events.events(0).method(), "CreateApiKey");
}

TEST_F(AuthTest, TheSdkSendsItsTokenAndBacksOffWhenRateLimited) {
  cfg_.rate_limit_caller_rps = 2;
  Start();
  auto client = Client::Connect({.address = "127.0.0.1:" + std::to_string(server_->grpc_port()),
                                 .token = Token({"default:writer"})});
  ASSERT_TRUE(client.ok()) << client.status();
  // Twice the rate: the later starts are refused once and then retried after the hint.
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 4; ++i) {
    auto run = (*client)->StartWorkflow("T", {.id = "sdk-" + std::to_string(i), .task_queue = "q"});
    ASSERT_TRUE(run.ok()) << run.status();
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(400));

  auto anonymous =
      Client::Connect({.address = "127.0.0.1:" + std::to_string(server_->grpc_port())});
  ASSERT_TRUE(anonymous.ok());
  auto denied = (*anonymous)->StartWorkflow("T", {.id = "sdk-x", .task_queue = "q"});
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kUnauthenticated) << denied.status();
}

// GET `path` over TLS from 127.0.0.1:port, verifying the server against `ca`; the whole
// response, or "" when the connection or the verification failed.
std::string HttpsGet(int port, const std::string& ca, const std::string& path) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  BIO* bio = BIO_new_ssl_connect(ctx);
  std::string target = "127.0.0.1:" + std::to_string(port);
  BIO_set_conn_hostname(bio, target.c_str());
  SSL* ssl = nullptr;
  BIO_get_ssl(bio, &ssl);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
  std::string out;
  if (BIO_do_connect(bio) == 1 && SSL_get_verify_result(ssl) == X509_V_OK) {
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    BIO_write(bio, req.data(), static_cast<int>(req.size()));
    char buf[4096];
    int n;
    while ((n = BIO_read(bio, buf, sizeof(buf))) > 0) out.append(buf, n);
  }
  BIO_free_all(bio);
  SSL_CTX_free(ctx);
  return out;
}

TEST_F(AuthTest, TheHttpPortServesHttpsWithTheSameCertificate) {
  weft::testing::TempDir certs_dir;
  auto certs = weft::testing::MakeTestCerts(certs_dir.path(), "prometheus");
  cfg_.tls_cert = certs.server_cert;
  cfg_.tls_key = certs.server_key;
  auto s = app::WeftServer::Start(cfg_);
  ASSERT_TRUE(s.ok()) << s.status();
  server_ = std::move(*s);
  std::string health = HttpsGet(server_->http_port(), certs.ca, "/healthz");
  EXPECT_NE(health.find("200 OK"), std::string::npos) << health;
  std::string metrics = HttpsGet(server_->http_port(), certs.ca, "/metrics");
  EXPECT_NE(metrics.find("weft_"), std::string::npos);
  // A client that does not trust the server's CA gets nothing.
  weft::testing::TempDir other_dir;
  auto other = weft::testing::MakeTestCerts(other_dir.path(), "x");
  EXPECT_EQ(HttpsGet(server_->http_port(), other.ca, "/healthz"), "");
  server_->Shutdown();
  server_.reset();

  // A key that does not match the certificate is refused at start, saying so.
  cfg_.tls_key = other.server_key;
  auto bad = app::WeftServer::Start(cfg_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << bad.status();
  EXPECT_NE(bad.status().message().find("key values mismatch"), std::string::npos) << bad.status();
}

TEST_F(AuthTest, MutualTlsAuthenticatesClientCertificates) {
  weft::testing::TempDir certs_dir;
  auto certs = weft::testing::MakeTestCerts(certs_dir.path(), "worker-1");
  cfg_.tls_cert = certs.server_cert;
  cfg_.tls_key = certs.server_key;
  cfg_.tls_client_ca = certs.ca;
  auto s = app::WeftServer::Start(cfg_);
  ASSERT_TRUE(s.ok()) << s.status();
  server_ = std::move(*s);
  const std::string address = "127.0.0.1:" + std::to_string(server_->grpc_port());

  // Plaintext, and TLS without a client certificate, do not get in.
  auto plain = Client::Connect({.address = address, .token = AdminToken()});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE((*plain)->Describe("x").ok());
  auto no_cert = Client::Connect({.address = address, .token = AdminToken(), .tls_ca = certs.ca});
  ASSERT_TRUE(no_cert.ok());
  EXPECT_EQ((*no_cert)->Describe("x").status().code(), absl::StatusCode::kUnavailable);

  // The certificate alone authenticates as cert:worker-1, which has no roles yet.
  auto by_cert = Client::Connect({.address = address,
                                  .tls_ca = certs.ca,
                                  .tls_cert = certs.client_cert,
                                  .tls_key = certs.client_key});
  ASSERT_TRUE(by_cert.ok());
  auto denied = (*by_cert)->StartWorkflow("T", {.id = "m1", .task_queue = "q"});
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied) << denied.status();
  EXPECT_NE(denied.status().message().find("cert:worker-1"), std::string::npos);

  // An admin (token over the same mTLS connection) grants it a role.
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadAll(certs.ca);
  ssl.pem_cert_chain = ReadAll(certs.client_cert);
  ssl.pem_private_key = ReadAll(certs.client_key);
  auto admin_stub = AdminService::NewStub(grpc::CreateChannel(address, grpc::SslCredentials(ssl)));
  GrantRoleRequest g;
  g.set_subject("cert:worker-1");
  g.set_role("default:writer");
  GrantRoleResponse gr;
  grpc::Status granted = admin_stub->GrantRole(Ctx(Bearer(AdminToken())).get(), g, &gr);
  ASSERT_TRUE(granted.ok()) << granted.error_message();
  auto run = (*by_cert)->StartWorkflow("T", {.id = "m2", .task_queue = "q"});
  EXPECT_TRUE(run.ok()) << run.status();
}

// ---- the matrix: every RPC × every role × every kind of credential ----

// Which roles may call each RPC in namespace "default" (DESIGN.md section 8), written out by
// hand so that a change to the permission table has to be made twice, on purpose.
// A = admin, N = namespace-admin, W = writer, R = reader, K = worker.
const std::map<std::string, std::string>& Expected() {
  static const auto* kExpected = new std::map<std::string, std::string>{
      {"RegisterNamespace", "A"},
      {"DescribeNamespace", "ANWR"},
      {"ListNamespaces", "ANWRK"},
      {"StartWorkflowExecution", "ANW"},
      {"GetWorkflowExecutionHistory", "ANWR"},
      {"DescribeWorkflowExecution", "ANWR"},
      {"ListWorkflowExecutions", "ANWR"},
      {"SignalWorkflowExecution", "ANW"},
      {"SignalWithStartWorkflowExecution", "ANW"},
      {"RequestCancelWorkflowExecution", "ANW"},
      {"TerminateWorkflowExecution", "ANW"},
      {"QueryWorkflow", "ANWR"},
      {"PollWorkflowTaskQueue", "ANK"},
      {"RespondWorkflowTaskCompleted", "ANK"},
      {"RespondWorkflowTaskFailed", "ANK"},
      {"RespondQueryTaskCompleted", "ANK"},
      {"PollActivityTaskQueue", "ANK"},
      {"RecordActivityTaskHeartbeat", "ANK"},
      {"RespondActivityTaskCompleted", "ANK"},
      {"RespondActivityTaskFailed", "ANK"},
      {"RespondActivityTaskCanceled", "ANK"},
      {"CreateApiKey", "A"},
      {"ListApiKeys", "A"},
      {"RevokeApiKey", "A"},
      {"GrantRole", "AN"},
      {"RevokeRole", "AN"},
      {"ListRoles", "AN"},
      {"WhoAmI", "ANWRK"},
      {"ListAuditEvents", "AN"},
      {"UpdateNamespace", "AN"},
      {"CountWorkflowExecutions", "ANWR"},
      {"ResetWorkflowExecution", "ANW"},
      {"DescribeTaskQueue", "ANWR"},
      {"CreateSchedule", "ANW"},
      {"DescribeSchedule", "ANWR"},
      {"UpdateSchedule", "ANW"},
      {"PatchSchedule", "ANW"},
      {"DeleteSchedule", "ANW"},
      {"ListSchedules", "ANWR"},
      {"ResetStickyTaskQueue", "ANK"},
      {"AddSearchAttributes", "AN"},
      {"ListSearchAttributes", "ANWR"},
      {"ListCircuitBreakers", "ANWR"},
      {"DescribeCircuitBreaker", "ANWR"},
      {"SetCircuitBreakerOverride", "AN"},
      {"GetLogLevels", "A"},
      {"SetLogLevel", "A"},
  };
  return *kExpected;
}

// A request for `method` that names namespace "default" wherever the message has a place for
// it, and is otherwise empty: an admitted call fails validation at once instead of waiting.
std::unique_ptr<google::protobuf::Message> RequestFor(const google::protobuf::MethodDescriptor* m) {
  const google::protobuf::Message* proto =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(m->input_type());
  std::unique_ptr<google::protobuf::Message> req(proto->New());
  auto set = [](google::protobuf::Message* msg, const char* field, const std::string& v) {
    const auto* f = msg->GetDescriptor()->FindFieldByName(field);
    if (f != nullptr) msg->GetReflection()->SetString(msg, f, v);
  };
  set(req.get(), "namespace", "default");
  if (m->name() == "SignalWithStartWorkflowExecution") {
    auto* start = req->GetReflection()->MutableMessage(
        req.get(), req->GetDescriptor()->FindFieldByName("start"));
    set(start, "namespace", "default");
  }
  if (m->name() == "GrantRole" || m->name() == "RevokeRole") {
    set(req.get(), "subject", "someone");
    set(req.get(), "role", "default:reader");
  }
  if (m->name() == "CreateApiKey") {
    set(req.get(), "owner", "matrix");
    req->GetReflection()->AddString(req.get(), req->GetDescriptor()->FindFieldByName("roles"),
                                    "default:reader");
  }
  return req;
}

TEST_F(AuthTest, MatrixOfEveryRpcRoleAndCredential) {
  Start();
  grpc::TemplatedGenericStub<google::protobuf::Message, google::protobuf::Message> generic(
      channel_);
  const std::vector<std::pair<char, std::string>> roles = {{'A', "admin"},
                                                           {'N', "default:namespace-admin"},
                                                           {'W', "default:writer"},
                                                           {'R', "default:reader"},
                                                           {'K', "default:worker"}};
  std::vector<const google::protobuf::MethodDescriptor*> methods;
  for (const auto* service :
       {StartWorkflowExecutionRequest::descriptor()->file()->FindServiceByName("WorkflowService"),
        CreateApiKeyRequest::descriptor()->file()->FindServiceByName("AdminService")}) {
    ASSERT_NE(service, nullptr);
    for (int i = 0; i < service->method_count(); ++i) methods.push_back(service->method(i));
  }
  ASSERT_EQ(methods.size(), Expected().size()) << "a new RPC needs a row in Expected()";

  auto call = [&](const google::protobuf::MethodDescriptor* m, const std::optional<Credential>& c) {
    auto ctx = Ctx(c);
    auto req = RequestFor(m);
    std::unique_ptr<google::protobuf::Message> resp(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(m->output_type())
            ->New());
    std::promise<grpc::Status> done;
    generic.UnaryCall(ctx.get(), "/" + m->service()->full_name() + "/" + m->name(), {}, req.get(),
                      resp.get(), [&](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  };
  int cells = 0;
  for (const auto& [letter, role] : roles) {
    auto [key, key_id] = CreateKey({role});
    auto [revoked_key, revoked_id] = CreateKey({role});
    RevokeApiKeyRequest rreq;
    rreq.set_id(revoked_id);
    RevokeApiKeyResponse rresp;
    ASSERT_TRUE(admin_->RevokeApiKey(Ctx(Bearer(AdminToken())).get(), rreq, &rresp).ok());

    const std::vector<std::pair<std::string, std::optional<Credential>>> refused = {
        {"no credentials", std::nullopt},
        {"expired token", Bearer(Token({role}, -3600))},
        {"wrong signature",
         Bearer(Token({role}, 300, "alice", kAudience, "some-other-secret-0123456789abcdef"))},
        {"wrong audience", Bearer(Token({role}, 300, "alice", "not-weft"))},
        {"revoked key", ApiKey(revoked_key)},
    };
    const std::vector<std::pair<std::string, std::optional<Credential>>> valid = {
        {"valid token", Bearer(Token({role}))},
        {"valid key", ApiKey(key)},
    };
    for (const auto* m : methods) {
      auto expected = Expected().find(m->name());
      ASSERT_NE(expected, Expected().end()) << m->name() << " has no row in Expected()";
      for (const auto& [what, cred] : refused) {
        grpc::Status s = call(m, cred);
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << m->name() << " as " << role << " with " << what << ": " << s.error_message();
        ++cells;
      }
      bool allowed = expected->second.find(letter) != std::string::npos;
      for (const auto& [what, cred] : valid) {
        grpc::Status s = call(m, cred);
        if (allowed) {
          EXPECT_NE(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
              << m->name() << " as " << role << " with " << what << ": " << s.error_message();
          EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
              << m->name() << " as " << role << " with " << what << ": " << s.error_message();
        } else {
          EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
              << m->name() << " as " << role << " with " << what << ": " << s.error_message();
        }
        ++cells;
      }
    }
  }
  EXPECT_EQ(cells, static_cast<int>(methods.size() * roles.size() * 7));
}

}  // namespace
}  // namespace weft
