#include "server/frontend/auth/permissions.h"

#include "absl/strings/str_cat.h"

namespace weft::frontend::auth {
namespace {

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool Grants(Role role, Permission p) {
  switch (role) {
    case Role::kAdmin:
      return true;
    case Role::kNamespaceAdmin:
      return p == Permission::kNamespaceAdmin || p == Permission::kWrite ||
             p == Permission::kRead || p == Permission::kWork;
    case Role::kWriter:
      return p == Permission::kWrite || p == Permission::kRead;
    case Role::kReader:
      return p == Permission::kRead;
    case Role::kWorker:
      return p == Permission::kWork;
  }
  return false;
}

const char* WhoMay(Permission p) {
  switch (p) {
    case Permission::kAdmin:
      return "admin";
    case Permission::kNamespaceAdmin:
      return "namespace-admin or admin";
    case Permission::kWrite:
      return "writer, namespace-admin or admin";
    case Permission::kRead:
      return "reader, writer, namespace-admin or admin";
    case Permission::kWork:
      return "worker, namespace-admin or admin";
    case Permission::kAuthenticated:
      return "any authenticated caller";
  }
  return "";
}

}  // namespace

const std::vector<MethodRule>& MethodRules() {
  using P = Permission;
  static const auto* const kRules = new std::vector<MethodRule>{
      // WorkflowService: namespaces
      {"RegisterNamespace", P::kAdmin, true},
      {"DescribeNamespace", P::kRead, false},
      {"ListNamespaces", P::kAuthenticated, false},
      {"UpdateNamespace", P::kNamespaceAdmin, true},
      // WorkflowService: workflows
      {"StartWorkflowExecution", P::kWrite, true},
      {"SignalWithStartWorkflowExecution", P::kWrite, true},
      {"SignalWorkflowExecution", P::kWrite, true},
      {"RequestCancelWorkflowExecution", P::kWrite, true},
      {"TerminateWorkflowExecution", P::kWrite, true},
      {"GetWorkflowExecutionHistory", P::kRead, false},
      {"DescribeWorkflowExecution", P::kRead, false},
      {"ListWorkflowExecutions", P::kRead, false},
      {"QueryWorkflow", P::kRead, false},
      {"CountWorkflowExecutions", P::kRead, false},
      {"ResetWorkflowExecution", P::kWrite, true},
      {"DescribeTaskQueue", P::kRead, false},
      // WorkflowService: schedules
      {"CreateSchedule", P::kWrite, true},
      {"DescribeSchedule", P::kRead, false},
      {"UpdateSchedule", P::kWrite, true},
      {"PatchSchedule", P::kWrite, true},
      {"DeleteSchedule", P::kWrite, true},
      {"ListSchedules", P::kRead, false},
      // WorkflowService: workers
      {"PollWorkflowTaskQueue", P::kWork, false},
      {"RespondWorkflowTaskCompleted", P::kWork, false},
      {"RespondWorkflowTaskFailed", P::kWork, false},
      {"RespondQueryTaskCompleted", P::kWork, false},
      {"ResetStickyTaskQueue", P::kWork, false},
      {"PollActivityTaskQueue", P::kWork, false},
      {"RecordActivityTaskHeartbeat", P::kWork, false},
      {"RespondActivityTaskCompleted", P::kWork, false},
      {"RespondActivityTaskFailed", P::kWork, false},
      {"RespondActivityTaskCanceled", P::kWork, false},
      // AdminService
      {"CreateApiKey", P::kAdmin, true},
      {"ListApiKeys", P::kAdmin, false},
      {"RevokeApiKey", P::kAdmin, true},
      {"GrantRole", P::kNamespaceAdmin, true},
      {"RevokeRole", P::kNamespaceAdmin, true},
      {"ListRoles", P::kNamespaceAdmin, false},
      {"WhoAmI", P::kAuthenticated, false},
      {"ListAuditEvents", P::kNamespaceAdmin, false},
      {"AddSearchAttributes", P::kNamespaceAdmin, true},
      {"ListSearchAttributes", P::kRead, false},
      {"ListCircuitBreakers", P::kRead, false},
      {"DescribeCircuitBreaker", P::kRead, false},
      {"SetCircuitBreakerOverride", P::kNamespaceAdmin, true},
      {"GetLogLevels", P::kAdmin, false},
      {"SetLogLevel", P::kAdmin, true},
  };
  return *kRules;
}

const MethodRule* FindMethodRule(std::string_view method) {
  for (const MethodRule& r : MethodRules()) {
    if (r.method == method) return &r;
  }
  return nullptr;
}

absl::Status Authorize(const Principal& principal, std::string_view method, std::string_view ns) {
  const MethodRule* rule = FindMethodRule(method);
  if (rule == nullptr) {
    // Fail closed: a call nobody classified is nobody's to make.
    return absl::PermissionDeniedError(
        absl::StrCat(Sv(method), " is not in the permission table; it is denied to everyone"));
  }
  if (rule->permission == Permission::kAuthenticated || principal.IsAdmin()) {
    return absl::OkStatus();
  }
  if (rule->permission != Permission::kAdmin && !ns.empty()) {
    for (const RoleGrant& g : principal.roles) {
      if (g.ns == ns && Grants(g.role, rule->permission)) return absl::OkStatus();
    }
  }
  std::string where = (rule->permission == Permission::kAdmin || ns.empty())
                          ? std::string("cluster-wide")
                          : absl::StrCat("in namespace \"", Sv(ns), "\"");
  const char* who =
      (rule->permission == Permission::kAdmin || ns.empty()) ? "admin" : WhoMay(rule->permission);
  return absl::PermissionDeniedError(absl::StrCat("\"", principal.subject, "\" may not call ",
                                                  Sv(method), " ", where, " (needs ", who, ")"));
}

}  // namespace weft::frontend::auth
