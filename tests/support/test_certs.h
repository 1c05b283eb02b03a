// Test support: a throwaway CA, a server certificate (for localhost and 127.0.0.1) and a
// client certificate, made with the `openssl` command in a test's temporary directory. No
// key is ever committed.
//
//   TestCerts certs = MakeTestCerts(dir.path(), "worker-1");
//   ... certs.server_cert, certs.server_key, certs.ca, certs.client_cert, certs.client_key ...
//
// Thread safety: a plain function; call it from one thread.
#ifndef WEFT_TESTS_SUPPORT_TEST_CERTS_H_
#define WEFT_TESTS_SUPPORT_TEST_CERTS_H_

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

namespace weft::testing {

struct TestCerts {
  std::string ca;  // PEM file paths
  std::string server_cert;
  std::string server_key;
  std::string client_cert;
  std::string client_key;
};

inline TestCerts MakeTestCerts(const std::string& dir, const std::string& client_name) {
  auto run = [&](const std::string& cmd) {
    std::string full = "cd '" + dir + "' && " + cmd + " >/dev/null 2>&1";
    if (std::system(full.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
  };
  std::ofstream(dir + "/server.ext")
      << "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n";
  std::ofstream(dir + "/client.ext") << "extendedKeyUsage=clientAuth\n";
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
  run("openssl req -x509 " + ec + " -keyout ca.key -out ca.pem -days 2 -subj /CN=weft-test-ca");
  for (const std::string who : {"server", "client"}) {
    std::string cn = who == "server" ? "localhost" : client_name;
    run("openssl req " + ec + " -keyout " + who + ".key -out " + who + ".csr -subj /CN=" + cn);
    run("openssl x509 -req -in " + who + ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -out " +
        who + ".pem -days 2 -extfile " + who + ".ext");
  }
  return {dir + "/ca.pem", dir + "/server.pem", dir + "/server.key", dir + "/client.pem",
          dir + "/client.key"};
}

}  // namespace weft::testing

#endif  // WEFT_TESTS_SUPPORT_TEST_CERTS_H_
