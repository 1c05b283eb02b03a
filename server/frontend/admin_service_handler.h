// AdminServiceHandler: the gRPC face of weft.api.v1.AdminService: API keys and role grants.
// Every call passes the same access-control chain as WorkflowService (auth/access_control.h);
// which role a call needs is in auth/permissions.cc.
//
// Thread safety: thread-safe; gRPC calls it from many threads.
// Ownership: borrows every collaborator; the composition root owns them.
#ifndef WEFT_SERVER_FRONTEND_ADMIN_SERVICE_HANDLER_H_
#define WEFT_SERVER_FRONTEND_ADMIN_SERVICE_HANDLER_H_

#include "server/common/clock.h"
#include "server/common/metrics.h"
#include "server/frontend/auth/access_control.h"
#include "server/frontend/auth/api_key_store.h"
#include "server/frontend/auth/role_store.h"
#include "server/frontend/namespace_registry.h"
#include "server/history/circuit_breaker_admin.h"
#include "weft/api/v1/admin_service.grpc.pb.h"

namespace weft::frontend {

class AdminServiceHandler final : public api::v1::AdminService::Service {
 public:
  // `audit` may be null (no --audit-log).
  AdminServiceHandler(auth::AccessControl* access, auth::ApiKeyStore* api_keys,
                      auth::RoleStore* roles, auth::AuditLog* audit, Metrics* metrics)
      : access_(access), api_keys_(api_keys), roles_(roles), audit_(audit), metrics_(metrics) {}

  grpc::Status CreateApiKey(grpc::ServerContext*, const api::v1::CreateApiKeyRequest*,
                            api::v1::CreateApiKeyResponse*) override;
  grpc::Status ListApiKeys(grpc::ServerContext*, const api::v1::ListApiKeysRequest*,
                           api::v1::ListApiKeysResponse*) override;
  grpc::Status RevokeApiKey(grpc::ServerContext*, const api::v1::RevokeApiKeyRequest*,
                            api::v1::RevokeApiKeyResponse*) override;
  grpc::Status GrantRole(grpc::ServerContext*, const api::v1::GrantRoleRequest*,
                         api::v1::GrantRoleResponse*) override;
  grpc::Status RevokeRole(grpc::ServerContext*, const api::v1::RevokeRoleRequest*,
                          api::v1::RevokeRoleResponse*) override;
  grpc::Status ListRoles(grpc::ServerContext*, const api::v1::ListRolesRequest*,
                         api::v1::ListRolesResponse*) override;
  grpc::Status WhoAmI(grpc::ServerContext*, const api::v1::WhoAmIRequest*,
                      api::v1::WhoAmIResponse*) override;
  grpc::Status ListAuditEvents(grpc::ServerContext*, const api::v1::ListAuditEventsRequest*,
                               api::v1::ListAuditEventsResponse*) override;

  // Server-side circuit breakers (history/circuit_breaker_admin.h); without them the breaker
  // RPCs answer UNIMPLEMENTED. Set before serving; borrowed.
  void SetCircuitBreakers(history::CircuitBreakerAdmin* breakers) { breakers_ = breakers; }
  // Custom search attributes of a namespace; without a registry they answer
  // UNIMPLEMENTED. Set before serving; borrowed.
  void SetNamespaces(NamespaceRegistry* namespaces) { namespaces_ = namespaces; }
  grpc::Status AddSearchAttributes(grpc::ServerContext*, const api::v1::AddSearchAttributesRequest*,
                                   api::v1::AddSearchAttributesResponse*) override;
  grpc::Status ListSearchAttributes(grpc::ServerContext*,
                                    const api::v1::ListSearchAttributesRequest*,
                                    api::v1::ListSearchAttributesResponse*) override;
  grpc::Status ListCircuitBreakers(grpc::ServerContext*, const api::v1::ListCircuitBreakersRequest*,
                                   api::v1::ListCircuitBreakersResponse*) override;
  grpc::Status DescribeCircuitBreaker(grpc::ServerContext*,
                                      const api::v1::DescribeCircuitBreakerRequest*,
                                      api::v1::DescribeCircuitBreakerResponse*) override;
  grpc::Status SetCircuitBreakerOverride(grpc::ServerContext*,
                                         const api::v1::SetCircuitBreakerOverrideRequest*,
                                         api::v1::SetCircuitBreakerOverrideResponse*) override;

  // Log levels of the server's components (telemetry::LogRegistry), changed at run time.
  // SetLogLevel answers INVALID_ARGUMENT for an unknown level, naming the valid ones.
  grpc::Status GetLogLevels(grpc::ServerContext*, const api::v1::GetLogLevelsRequest*,
                            api::v1::GetLogLevelsResponse*) override;
  grpc::Status SetLogLevel(grpc::ServerContext*, const api::v1::SetLogLevelRequest*,
                           api::v1::SetLogLevelResponse*) override;

 private:
  template <typename Fn>
  grpc::Status Handle(grpc::ServerContext* ctx, const char* method, const std::string& ns,
                      const std::string& target, Fn&& fn);

  auth::AccessControl* const access_;
  auth::ApiKeyStore* const api_keys_;
  auth::RoleStore* const roles_;
  auth::AuditLog* const audit_;
  Metrics* const metrics_;
  history::CircuitBreakerAdmin* breakers_ = nullptr;
  NamespaceRegistry* namespaces_ = nullptr;
};

}  // namespace weft::frontend

#endif  // WEFT_SERVER_FRONTEND_ADMIN_SERVICE_HANDLER_H_
