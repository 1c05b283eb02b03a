// End-to-end tests of a secured weft: weft-server with authentication (and TLS) on, the weft
// CLI with tokens, API keys and client certificates, and the samples worker with an API key,
// all as separate processes.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/frontend/auth/testing/test_keys.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace weft::testing {
namespace {

using frontend::auth::testing::NowPlus;
using frontend::auth::testing::TestKey;

constexpr char kSecret[] = "e2e-secret-for-tests-only-0123456789abcdef";

std::string Token(const std::string& sub, const nlohmann::json& roles) {
  return TestKey::Hmac(kSecret).Sign(
      {{"sub", sub}, {"aud", "weft"}, {"exp", NowPlus(600)}, {"roles", roles}});
}

class AuthE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = absl::StrCat("127.0.0.1:", PickFreePort());
    std::ofstream(dir_.path() + "/secret") << kSecret;
    admin_ = Token("root", {"admin"});
  }

  void StartServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {WEFT_SERVER_BIN,
                                     "--data-dir",
                                     dir_.path() + "/data",
                                     "--grpc-address",
                                     address_,
                                     "--http-address",
                                     "127.0.0.1:0",
                                     "--auth-jwt-secret-file",
                                     dir_.path() + "/secret",
                                     "--auth-audience",
                                     "weft",
                                     "--audit-log",
                                     dir_.path() + "/audit.jsonl"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    server_ = std::make_unique<Process>(argv);
    ASSERT_TRUE(server_->WaitForLine("weft-server ready", absl::Seconds(60))) << server_->Output();
  }

  RunResult Cli(std::vector<std::string> args) {
    std::vector<std::string> argv = {WEFT_CLI_BIN, "--address", address_};
    argv.insert(argv.end(), args.begin(), args.end());
    return weft::testing::Run(argv, absl::Seconds(90));
  }

  TempDir dir_;
  std::string address_;
  std::string admin_;
  std::unique_ptr<Process> server_;
};

TEST_F(AuthE2eTest, ServerRefusesToStartWithoutAnAuthMethod) {
  RunResult r = weft::testing::Run({WEFT_SERVER_BIN, "--data-dir", dir_.path() + "/data",
                                    "--grpc-address", address_, "--http-address", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--insecure-no-auth"), std::string::npos) << r.err;
}

TEST_F(AuthE2eTest, CliAndWorkerWithTokensAndApiKeys) {
  StartServer();
  RunResult anon = Cli({"namespace", "list"});
  EXPECT_EQ(anon.exit_code, 3);
  EXPECT_NE(anon.err.find("weft: UNAUTHENTICATED: "), std::string::npos) << anon.err;

  ASSERT_EQ(Cli({"--token", admin_, "namespace", "create", "default"}).exit_code, 0);
  RunResult created = Cli({"--token", admin_, "apikey", "create", "--owner", "samples", "--role",
                           "default:worker", "--role", "default:writer"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::istringstream lines(created.out);
  std::string first, key;
  std::getline(lines, first);
  std::getline(lines, key);
  ASSERT_EQ(key.rfind("weft_", 0), 0u) << created.out;
  EXPECT_NE(created.err.find("only time"), std::string::npos);
  const std::string key_id = key.substr(5, 16);

  setenv("WEFT_API_KEY", key.c_str(), 1);
  Process worker({WEFT_SAMPLES_WORKER_BIN, "--address", address_});
  unsetenv("WEFT_API_KEY");
  ASSERT_TRUE(worker.WaitForLine("weft-samples-worker ready", absl::Seconds(60)))
      << worker.Output();

  RunResult start = Cli({"--api-key", key, "workflow", "start", "--task-queue", "samples", "--type",
                         "Greeting", "--workflow-id", "hi", "--input", "\"Ada\""});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  RunResult result =
      Cli({"--api-key", key, "workflow", "result", "--workflow-id", "hi", "--timeout", "60s"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("Hello, Ada!"), std::string::npos) << result.out;

  RunResult reader = Cli({"--token", Token("rita", {"default:reader"}), "workflow", "terminate",
                          "--workflow-id", "hi", "--reason", "test"});
  EXPECT_EQ(reader.exit_code, 3);
  EXPECT_NE(reader.err.find("weft: PERMISSION_DENIED: \"rita\" may not call "
                            "TerminateWorkflowExecution in namespace \"default\""),
            std::string::npos)
      << reader.err;

  RunResult listed = Cli({"--token", admin_, "apikey", "list"});
  EXPECT_NE(listed.out.find(key_id), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find(key.substr(22)), std::string::npos);
  ASSERT_EQ(Cli({"--token", admin_, "apikey", "revoke", key_id}).exit_code, 0);
  RunResult revoked = Cli({"--api-key", key, "workflow", "list"});
  EXPECT_EQ(revoked.exit_code, 3);
  EXPECT_NE(revoked.err.find("UNAUTHENTICATED: API key " + key_id + " was revoked"),
            std::string::npos)
      << revoked.err;

  ASSERT_EQ(
      Cli({"--token", admin_, "role", "grant", "--subject", "rita", "--role", "default:writer"})
          .exit_code,
      0);
  RunResult whoami = Cli({"--token", Token("rita", {"default:reader"}), "whoami"});
  EXPECT_NE(whoami.out.find("rita (jwt): default:reader, default:writer"), std::string::npos)
      << whoami.out << whoami.err;

  RunResult audit_list = Cli({"--token", admin_, "audit", "list", "--all"});
  EXPECT_EQ(audit_list.exit_code, 0) << audit_list.err;
  EXPECT_NE(audit_list.out.find("RevokeApiKey"), std::string::npos) << audit_list.out;

  std::ifstream audit(dir_.path() + "/audit.jsonl");
  std::string text((std::istreambuf_iterator<char>(audit)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"method\":\"CreateApiKey\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"outcome\":\"PERMISSION_DENIED\""), std::string::npos) << text;
  EXPECT_EQ(text.find(key.substr(22)), std::string::npos);
  EXPECT_EQ(text.find(admin_), std::string::npos);
}

TEST_F(AuthE2eTest, CliOverMutualTls) {
  auto certs = MakeTestCerts(dir_.path(), "ops-laptop");
  StartServer({"--tls-cert", certs.server_cert, "--tls-key", certs.server_key, "--tls-client-ca",
               certs.ca});
  const std::vector<std::string> tls = {"--tls-ca",        certs.ca,    "--tls-cert",
                                        certs.client_cert, "--tls-key", certs.client_key};
  auto with_tls = [&](std::vector<std::string> args) {
    args.insert(args.begin(), tls.begin(), tls.end());
    return Cli(args);
  };
  RunResult created = with_tls({"--token", admin_, "namespace", "create", "default"});
  EXPECT_EQ(created.exit_code, 0) << created.err;
  RunResult me = with_tls({"whoami"});
  EXPECT_EQ(me.exit_code, 0) << me.err;
  EXPECT_NE(me.out.find("cert:ops-laptop (mtls)"), std::string::npos) << me.out;
  RunResult plain = Cli({"--token", admin_, "namespace", "list"});
  EXPECT_EQ(plain.exit_code, 3);
  RunResult no_cert = Cli({"--tls-ca", certs.ca, "--token", admin_, "namespace", "list"});
  EXPECT_EQ(no_cert.exit_code, 3);
}

}  // namespace
}  // namespace weft::testing
