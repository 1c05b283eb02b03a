#include "server/frontend/auth/access_control.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/common/logging.h"

namespace weft::frontend::auth {
namespace {

std::optional<std::string> Metadata(const grpc::ServerContext& ctx, const char* key) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(key);
  if (it == md.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

// One info line per refused call (the audit log, when configured, has the full record).
// The reason is the server's own message; credentials are never logged.
void LogDenial(const Principal* who, const CallerCredentials& creds, std::string_view method,
               const absl::Status& s) {
  logs::Auth().Info("request denied",
                    {{"subject", who != nullptr ? absl::string_view(who->subject) : "-"},
                     {"method", absl::string_view(method.data(), method.size())},
                     {"code", absl::StatusCodeToString(s.code())},
                     {"peer", creds.peer},
                     {"reason", s.message()}});
}

}  // namespace

CallerCredentials CredentialsFrom(const grpc::ServerContext& ctx) {
  CallerCredentials c;
  c.authorization = Metadata(ctx, kAuthorizationHeader);
  c.api_key = Metadata(ctx, kApiKeyHeader);
  c.peer = ctx.peer();
  auto auth = ctx.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    auto names = auth->FindPropertyValues("x509_common_name");
    if (!names.empty()) c.cert_subject = std::string(names.front().data(), names.front().size());
  }
  return c;
}

AccessControl::AccessControl(AccessControlOptions options, JwtKeySource* jwt_keys,
                             ApiKeyStore* api_keys, RoleStore* roles, RateLimiter* limiter,
                             AuditLog* audit, const Clock* clock)
    : options_(std::move(options)),
      jwt_(options_.jwt, jwt_keys),
      jwt_keys_(jwt_keys),
      api_keys_(api_keys),
      roles_(roles),
      limiter_(limiter),
      audit_(audit),
      clock_(clock) {}

absl::StatusOr<Principal> AccessControl::Authenticate(const CallerCredentials& creds) {
  Principal p;
  if (!options_.enabled) {
    p.subject = "anonymous";
    p.roles.push_back(RoleGrant{"", Role::kAdmin});
    return p;
  }
  if (creds.authorization && creds.api_key) {
    return absl::UnauthenticatedError(
        "send one credential: either an authorization bearer token or an x-weft-api-key");
  }
  if (creds.authorization) {
    constexpr absl::string_view kBearer = "bearer ";
    absl::string_view value = *creds.authorization;
    if (value.size() <= kBearer.size() ||
        !absl::EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer)) {
      return absl::UnauthenticatedError("the authorization header must be \"Bearer <JWT>\"");
    }
    if (jwt_keys_ == nullptr) {
      return absl::UnauthenticatedError("this server accepts no JWTs (no --auth-jwt-* keys)");
    }
    absl::string_view token = absl::StripAsciiWhitespace(value.substr(kBearer.size()));
    auto claims = jwt_.Verify(std::string_view(token.data(), token.size()), clock_->Now());
    if (!claims.ok()) return claims.status();
    p.subject = claims->subject;
    p.method = AuthMethod::kJwt;
    p.roles = claims->roles;
  } else if (creds.api_key) {
    auto record = api_keys_->Authenticate(*creds.api_key);
    if (!record.ok()) return record.status();
    p.subject = ApiKeyStore::Subject(record->id());
    p.method = AuthMethod::kApiKey;
    for (const std::string& text : record->roles()) {
      auto g = ParseRoleGrant(text);
      if (g.ok()) p.AddRole(*g);
    }
  } else if (options_.accept_client_certificates && !creds.cert_subject.empty()) {
    p.subject = absl::StrCat("cert:", creds.cert_subject);
    p.method = AuthMethod::kMtls;
  } else {
    return absl::UnauthenticatedError(
        "no credentials: send a token (--token, WEFT_TOKEN) or an API key (--api-key, "
        "WEFT_API_KEY)");
  }
  for (const RoleGrant& g : roles_->RolesOf(p.subject)) p.AddRole(g);
  return p;
}

absl::StatusOr<Principal> AccessControl::Admit(grpc::ServerContext* ctx, std::string_view method,
                                               const std::string& ns, const std::string& target) {
  CallerCredentials creds = CredentialsFrom(*ctx);
  // gRPC bounds the headers' total size (8 KB); their number is bounded here.
  if (size_t n = ctx->client_metadata().size(); n > kMaxRequestHeaders) {
    absl::Status s = absl::InvalidArgumentError(absl::StrCat(
        "the request carries ", n, " headers; at most ", kMaxRequestHeaders, " are accepted"));
    Audit(nullptr, creds, method, ns, target, s);
    LogDenial(nullptr, creds, method, s);
    return s;
  }
  absl::StatusOr<Principal> who = Authenticate(creds);
  if (!who.ok()) {
    Audit(nullptr, creds, method, ns, target, who.status());
    LogDenial(nullptr, creds, method, who.status());
    return who.status();
  }
  if (absl::Status s = Authorize(*who, method, ns); !s.ok()) {
    Audit(&*who, creds, method, ns, target, s);
    LogDenial(&*who, creds, method, s);
    return s;
  }
  if (limiter_ != nullptr && limiter_->enabled()) {
    // Without authentication every caller is "anonymous"; tell them apart by address.
    std::string caller =
        options_.enabled ? who->subject : creds.peer.substr(0, creds.peer.rfind(':'));
    RateDecision d = limiter_->Admit(ns, caller);
    if (!d.status.ok()) {
      ctx->AddTrailingMetadata(kRetryAfterHeader,
                               std::to_string(absl::ToInt64Milliseconds(d.retry_after)));
      return d.status;
    }
  }
  return who;
}

void AccessControl::Record(const Principal& who, grpc::ServerContext* ctx, std::string_view method,
                           const std::string& ns, const std::string& target,
                           const absl::Status& outcome) {
  if (audit_ == nullptr) return;
  const MethodRule* rule = FindMethodRule(method);
  if (rule == nullptr || !rule->audited) return;
  CallerCredentials creds;
  creds.peer = ctx->peer();
  Audit(&who, creds, method, ns, target, outcome);
}

void AccessControl::Audit(const Principal* who, const CallerCredentials& creds,
                          std::string_view method, const std::string& ns, const std::string& target,
                          const absl::Status& outcome) {
  if (audit_ == nullptr) return;
  AuditEvent e;
  e.time = clock_->Now();
  if (who != nullptr) {
    e.subject = who->subject;
    std::string_view m = AuthMethodName(who->method);
    e.auth_method = std::string(m);
  }
  e.peer = creds.peer;
  e.method = std::string(method);
  e.ns = ns;
  e.target = target;
  e.outcome = absl::StatusCodeToString(outcome.code());
  e.message = std::string(outcome.message());
  audit_->Write(e);
}

}  // namespace weft::frontend::auth
