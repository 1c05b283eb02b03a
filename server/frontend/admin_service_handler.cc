#include "server/frontend/admin_service_handler.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/grpc_status.h"
#include "server/common/proto_time.h"
#include "server/frontend/log_levels.h"
#include "server/frontend/request_log_scope.h"
#include "server/visibility/schema.h"

namespace weft::frontend {
namespace {

void FillKeyInfo(const internal::ApiKeyRecord& r, api::v1::ApiKeyInfo* info) {
  info->set_id(r.id());
  info->set_owner(r.owner());
  *info->mutable_roles() = r.roles();
  *info->mutable_create_time() = r.create_time();
  if (r.has_expire_time()) *info->mutable_expire_time() = r.expire_time();
  info->set_revoked(r.revoked());
  info->set_created_by(r.created_by());
}

// The namespace a role is in, which decides who may grant it: "" (admin only) for "admin".
std::string NamespaceOf(const std::string& role) {
  auto g = auth::ParseRoleGrant(role);
  return g.ok() ? g->ns : "";
}

}  // namespace

template <typename Fn>
grpc::Status AdminServiceHandler::Handle(grpc::ServerContext* ctx, const char* method,
                                         const std::string& ns, const std::string& target,
                                         Fn&& fn) {
  auto start = std::chrono::steady_clock::now();
  RequestLogScope log_scope(ctx, method, ns, TargetLogField(method), target);
  absl::Status s = access_->Run(ctx, method, ns, target, fn);
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  log_scope.Finish(s, took.count());
  if (metrics_) {
    metrics_->RecordRpc(method, absl::StatusCodeToString(s.code()), took.count());
  }
  return ToGrpcStatus(s);
}

grpc::Status AdminServiceHandler::CreateApiKey(grpc::ServerContext* ctx,
                                               const api::v1::CreateApiKeyRequest* req,
                                               api::v1::CreateApiKeyResponse* resp) {
  return Handle(ctx, "CreateApiKey", "", req->owner(),
                [&](const auth::Principal& who) -> absl::Status {
                  std::vector<auth::RoleGrant> roles;
                  for (const std::string& text : req->roles()) {
                    auto g = auth::ParseRoleGrant(text);
                    if (!g.ok()) return g.status();
                    roles.push_back(*g);
                  }
                  std::optional<absl::Time> expire;
                  if (req->has_expire_time()) expire = FromProto(req->expire_time());
                  auto key = api_keys_->Create(req->owner(), roles, expire, who.subject);
                  if (!key.ok()) return key.status();
                  FillKeyInfo(key->record, resp->mutable_key());
                  resp->set_secret(std::move(key->secret));
                  return absl::OkStatus();
                });
}

grpc::Status AdminServiceHandler::ListApiKeys(grpc::ServerContext* ctx,
                                              const api::v1::ListApiKeysRequest*,
                                              api::v1::ListApiKeysResponse* resp) {
  return Handle(ctx, "ListApiKeys", "", "", [&](const auth::Principal&) -> absl::Status {
    for (const auto& r : api_keys_->List()) FillKeyInfo(r, resp->add_keys());
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceHandler::RevokeApiKey(grpc::ServerContext* ctx,
                                               const api::v1::RevokeApiKeyRequest* req,
                                               api::v1::RevokeApiKeyResponse*) {
  return Handle(ctx, "RevokeApiKey", "", req->id(),
                [&](const auth::Principal&) { return api_keys_->Revoke(req->id()); });
}

grpc::Status AdminServiceHandler::GrantRole(grpc::ServerContext* ctx,
                                            const api::v1::GrantRoleRequest* req,
                                            api::v1::GrantRoleResponse*) {
  return Handle(ctx, "GrantRole", NamespaceOf(req->role()),
                absl::StrCat(req->subject(), " ", req->role()),
                [&](const auth::Principal&) -> absl::Status {
                  auto g = auth::ParseRoleGrant(req->role());
                  if (!g.ok()) return g.status();
                  return roles_->Grant(req->subject(), *g);
                });
}

grpc::Status AdminServiceHandler::RevokeRole(grpc::ServerContext* ctx,
                                             const api::v1::RevokeRoleRequest* req,
                                             api::v1::RevokeRoleResponse*) {
  return Handle(ctx, "RevokeRole", NamespaceOf(req->role()),
                absl::StrCat(req->subject(), " ", req->role()),
                [&](const auth::Principal&) -> absl::Status {
                  auto g = auth::ParseRoleGrant(req->role());
                  if (!g.ok()) return g.status();
                  return roles_->Revoke(req->subject(), *g);
                });
}

grpc::Status AdminServiceHandler::ListRoles(grpc::ServerContext* ctx,
                                            const api::v1::ListRolesRequest* req,
                                            api::v1::ListRolesResponse* resp) {
  return Handle(ctx, "ListRoles", req->namespace_(), "",
                [&](const auth::Principal&) -> absl::Status {
                  for (const auto& [subject, roles] : roles_->List(req->namespace_())) {
                    auto* g = resp->add_grants();
                    g->set_subject(subject);
                    for (const auto& r : roles) g->add_roles(auth::RoleGrantToString(r));
                  }
                  return absl::OkStatus();
                });
}

grpc::Status AdminServiceHandler::WhoAmI(grpc::ServerContext* ctx, const api::v1::WhoAmIRequest*,
                                         api::v1::WhoAmIResponse* resp) {
  return Handle(ctx, "WhoAmI", "", "", [&](const auth::Principal& who) -> absl::Status {
    resp->set_subject(who.subject);
    resp->set_auth_method(std::string(auth::AuthMethodName(who.method)));
    for (const auto& r : who.roles) resp->add_roles(auth::RoleGrantToString(r));
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceHandler::ListAuditEvents(grpc::ServerContext* ctx,
                                                  const api::v1::ListAuditEventsRequest* req,
                                                  api::v1::ListAuditEventsResponse* resp) {
  return Handle(ctx, "ListAuditEvents", req->namespace_(), "",
                [&](const auth::Principal&) -> absl::Status {
                  if (audit_ == nullptr) {
                    return absl::FailedPreconditionError(
                        "this server keeps no audit log (start it with --audit-log FILE)");
                  }
                  if (req->limit() < 0) return absl::InvalidArgumentError("limit must be >= 0");
                  size_t limit = req->limit() == 0 ? 100 : std::min(req->limit(), 10000);
                  for (const auto& e : audit_->Recent(req->namespace_(), limit)) {
                    auto* out = resp->add_events();
                    out->set_time(e.time_text);
                    out->set_subject(e.subject);
                    out->set_auth_method(e.auth_method);
                    out->set_peer(e.peer);
                    out->set_method(e.method);
                    out->set_namespace_(e.ns);
                    out->set_target(e.target);
                    out->set_outcome(e.outcome);
                    out->set_message(e.message);
                  }
                  return absl::OkStatus();
                });
}

// ---- circuit breakers ----

namespace {
absl::Status NoBreakers() {
  return absl::UnimplementedError("this server has no circuit breakers");
}
}  // namespace

grpc::Status AdminServiceHandler::ListCircuitBreakers(
    grpc::ServerContext* ctx, const api::v1::ListCircuitBreakersRequest* req,
    api::v1::ListCircuitBreakersResponse* resp) {
  return Handle(ctx, "ListCircuitBreakers", req->namespace_(), "",
                [&](const auth::Principal&) -> absl::Status {
                  if (breakers_ == nullptr) return NoBreakers();
                  if (req->namespace_().empty()) {
                    return absl::InvalidArgumentError("namespace is required");
                  }
                  auto r = breakers_->ListCircuitBreakers(*req);
                  if (!r.ok()) return r.status();
                  *resp = std::move(*r);
                  return absl::OkStatus();
                });
}

grpc::Status AdminServiceHandler::DescribeCircuitBreaker(
    grpc::ServerContext* ctx, const api::v1::DescribeCircuitBreakerRequest* req,
    api::v1::DescribeCircuitBreakerResponse* resp) {
  return Handle(ctx, "DescribeCircuitBreaker", req->namespace_(), req->activity_type(),
                [&](const auth::Principal&) -> absl::Status {
                  if (breakers_ == nullptr) return NoBreakers();
                  if (req->namespace_().empty()) {
                    return absl::InvalidArgumentError("namespace is required");
                  }
                  auto r = breakers_->DescribeCircuitBreaker(*req);
                  if (!r.ok()) return r.status();
                  *resp = std::move(*r);
                  return absl::OkStatus();
                });
}

grpc::Status AdminServiceHandler::SetCircuitBreakerOverride(
    grpc::ServerContext* ctx, const api::v1::SetCircuitBreakerOverrideRequest* req,
    api::v1::SetCircuitBreakerOverrideResponse* resp) {
  return Handle(
      ctx, "SetCircuitBreakerOverride", req->namespace_(),
      absl::StrCat(req->activity_type(), req->task_queue().empty() ? "" : " ", req->task_queue(),
                   " ", api::v1::CircuitBreakerOverride_Name(req->override())),
      [&](const auth::Principal& who) -> absl::Status {
        if (breakers_ == nullptr) return NoBreakers();
        if (req->namespace_().empty()) {
          return absl::InvalidArgumentError("namespace is required");
        }
        auto r = breakers_->SetCircuitBreakerOverride(*req, who.subject);
        if (!r.ok()) return r.status();
        *resp = std::move(*r);
        return absl::OkStatus();
      });
}

// ---- search attributes ----

grpc::Status AdminServiceHandler::AddSearchAttributes(
    grpc::ServerContext* ctx, const api::v1::AddSearchAttributesRequest* req,
    api::v1::AddSearchAttributesResponse*) {
  std::vector<std::string> names;
  for (const auto& [name, type] : req->search_attributes()) names.push_back(name);
  std::sort(names.begin(), names.end());
  return Handle(
      ctx, "AddSearchAttributes", req->namespace_(), absl::StrJoin(names, ","),
      [&](const auth::Principal&) -> absl::Status {
        if (namespaces_ == nullptr) {
          return absl::UnimplementedError("search attributes are not served by this server");
        }
        if (req->namespace_().empty()) return absl::InvalidArgumentError("namespace is required");
        if (req->search_attributes().empty()) {
          return absl::InvalidArgumentError(
              "search_attributes is empty: give at least one name and type");
        }
        for (const auto& name : names) {
          if (auto s = visibility::ValidateCustomAttributeName(name); !s.ok()) return s;
          auto type = req->search_attributes().at(name);
          if (type == api::v1::INDEXED_VALUE_TYPE_UNSPECIFIED ||
              !api::v1::IndexedValueType_IsValid(type)) {
            return absl::InvalidArgumentError(absl::StrCat(
                "search attribute \"", name,
                "\" needs a type: keyword, text, int, double, bool, datetime or keyword-list"));
          }
        }
        std::map<std::string, api::v1::IndexedValueType> attrs(req->search_attributes().begin(),
                                                               req->search_attributes().end());
        return namespaces_->AddSearchAttributes(req->namespace_(), attrs);
      });
}

grpc::Status AdminServiceHandler::ListSearchAttributes(
    grpc::ServerContext* ctx, const api::v1::ListSearchAttributesRequest* req,
    api::v1::ListSearchAttributesResponse* resp) {
  return Handle(
      ctx, "ListSearchAttributes", req->namespace_(), "",
      [&](const auth::Principal&) -> absl::Status {
        if (namespaces_ == nullptr) {
          return absl::UnimplementedError("search attributes are not served by this server");
        }
        if (req->namespace_().empty()) {
          return absl::InvalidArgumentError("namespace is required");
        }
        auto rec = namespaces_->Get(req->namespace_());
        if (!rec.ok()) return rec.status();
        for (const auto& [name, type] : rec->custom_search_attributes()) {
          (*resp->mutable_custom_attributes())[name] = type;
        }
        for (const auto& a : visibility::Schema::SystemAttributes()) {
          // ExecutionStatus is queried by name ('Running'): a keyword to clients.
          (*resp->mutable_system_attributes())[a.name] =
              a.type == visibility::AttrType::kStatus ? api::v1::INDEXED_VALUE_TYPE_KEYWORD
                                                      : visibility::ToIndexedValueType(a.type);
        }
        return absl::OkStatus();
      });
}

// ---- log levels ----

grpc::Status AdminServiceHandler::GetLogLevels(grpc::ServerContext* ctx,
                                               const api::v1::GetLogLevelsRequest*,
                                               api::v1::GetLogLevelsResponse* resp) {
  return Handle(ctx, "GetLogLevels", "", "", [&](const auth::Principal&) -> absl::Status {
    FillLogLevels(resp->mutable_default_level(), resp->mutable_levels());
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceHandler::SetLogLevel(grpc::ServerContext* ctx,
                                              const api::v1::SetLogLevelRequest* req,
                                              api::v1::SetLogLevelResponse* resp) {
  return Handle(ctx, "SetLogLevel", "", absl::StrCat(req->component(), "=", req->level()),
                [&](const auth::Principal& who) -> absl::Status {
                  if (auto s = ApplyLogLevel(req->component(), req->level(), who.subject);
                      !s.ok()) {
                    return s;
                  }
                  FillLogLevels(resp->mutable_default_level(), resp->mutable_levels());
                  return absl::OkStatus();
                });
}

}  // namespace weft::frontend
