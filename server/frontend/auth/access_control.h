// AccessControl: the one chain every RPC passes before it runs (DESIGN.md section 8):
// authenticate → authorize (permissions.h) → rate limit, then, after the call, the audit
// record. Handlers call Run() and nothing else of it.
//
//   return ToGrpcStatus(access->Run(ctx, "StartWorkflowExecution", req->namespace_(),
//                                   req->workflow_id(), [&](const Principal& who) { ... }));
//
// Credentials, in the gRPC metadata: `authorization: Bearer <JWT>` or `x-weft-api-key:
// <key>` (one, not both); failing those, a client certificate verified by mTLS acts as
// "cert:<common name>". A caller's roles are those its credential carries (JWT roles claim,
// the API key's roles) plus the grants of RoleStore for its subject.
//
// With authentication off (--dev, --insecure-no-auth) every caller is "anonymous" with the
// admin role; rate limits and the audit log still apply.
//
// Thread safety: thread-safe. Ownership: borrows every collaborator; a null key source, rate
// limiter or audit log means that part is not configured.
#ifndef WEFT_SERVER_FRONTEND_AUTH_ACCESS_CONTROL_H_
#define WEFT_SERVER_FRONTEND_AUTH_ACCESS_CONTROL_H_

#include <grpcpp/server_context.h>

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "server/common/clock.h"
#include "server/frontend/auth/api_key_store.h"
#include "server/frontend/auth/audit_log.h"
#include "server/frontend/auth/jwt_verifier.h"
#include "server/frontend/auth/permissions.h"
#include "server/frontend/auth/rate_limiter.h"
#include "server/frontend/auth/role_store.h"

namespace weft::frontend::auth {

// Metadata keys (lower case, as gRPC wants them).
inline constexpr char kAuthorizationHeader[] = "authorization";
inline constexpr char kApiKeyHeader[] = "x-weft-api-key";
// Trailing metadata on RESOURCE_EXHAUSTED: milliseconds after which a retry can succeed.
inline constexpr char kRetryAfterHeader[] = "x-weft-retry-after-ms";

// What a call presented, taken from the gRPC context in one place.
struct CallerCredentials {
  std::optional<std::string> authorization;
  std::optional<std::string> api_key;
  std::string cert_subject;  // common name of a verified client certificate, or empty
  std::string peer;          // "ipv4:127.0.0.1:50000"
};
CallerCredentials CredentialsFrom(const grpc::ServerContext& ctx);

struct AccessControlOptions {
  bool enabled = false;
  JwtOptions jwt;
  // Accept a verified client certificate alone as a credential (set with --tls-client-ca).
  bool accept_client_certificates = false;
};

// Requests with more headers (gRPC metadata entries) are refused with INVALID_ARGUMENT.
inline constexpr size_t kMaxRequestHeaders = 64;

class AccessControl {
 public:
  AccessControl(AccessControlOptions options, JwtKeySource* jwt_keys, ApiKeyStore* api_keys,
                RoleStore* roles, RateLimiter* limiter, AuditLog* audit, const Clock* clock);

  bool enabled() const { return options_.enabled; }

  // The caller, or UNAUTHENTICATED saying why.
  absl::StatusOr<Principal> Authenticate(const CallerCredentials& creds);

  // Authenticates, authorizes `method` on namespace `ns` and takes a rate-limit token;
  // audits a refusal. On RESOURCE_EXHAUSTED sets the retry-after trailing metadata.
  // `target` (a workflow id, a key id) is only for the audit log.
  absl::StatusOr<Principal> Admit(grpc::ServerContext* ctx, std::string_view method,
                                  const std::string& ns, const std::string& target);
  // Audits the outcome of an admitted call if its method is audited.
  void Record(const Principal& who, grpc::ServerContext* ctx, std::string_view method,
              const std::string& ns, const std::string& target, const absl::Status& outcome);

  // Admit, then fn(principal) -> absl::Status, then Record.
  template <typename Fn>
  absl::Status Run(grpc::ServerContext* ctx, std::string_view method, const std::string& ns,
                   const std::string& target, Fn&& fn) {
    absl::StatusOr<Principal> who = Admit(ctx, method, ns, target);
    if (!who.ok()) return who.status();
    absl::Status s = fn(*who);
    Record(*who, ctx, method, ns, target, s);
    return s;
  }

 private:
  void Audit(const Principal* who, const CallerCredentials& creds, std::string_view method,
             const std::string& ns, const std::string& target, const absl::Status& outcome);

  const AccessControlOptions options_;
  JwtVerifier jwt_;
  JwtKeySource* const jwt_keys_;
  ApiKeyStore* const api_keys_;
  RoleStore* const roles_;
  RateLimiter* const limiter_;
  AuditLog* const audit_;
  const Clock* const clock_;
};

}  // namespace weft::frontend::auth

#endif  // WEFT_SERVER_FRONTEND_AUTH_ACCESS_CONTROL_H_
