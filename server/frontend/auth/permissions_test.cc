#include "server/frontend/auth/permissions.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <set>

#include "weft/api/v1/admin_service.grpc.pb.h"
#include "weft/api/v1/workflow_service.grpc.pb.h"

namespace weft::frontend::auth {
namespace {

std::vector<std::string> AllRpcs() {
  std::vector<std::string> out;
  // Naming a message of each file links its descriptors in.
  for (const google::protobuf::ServiceDescriptor* service :
       {api::v1::StartWorkflowExecutionRequest::descriptor()->file()->FindServiceByName(
            "WorkflowService"),
        api::v1::CreateApiKeyRequest::descriptor()->file()->FindServiceByName("AdminService")}) {
    EXPECT_NE(service, nullptr);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) out.push_back(service->method(i)->name());
  }
  return out;
}

// The table is the only place permissions are decided: a new RPC must be added to it.
TEST(PermissionsTest, EveryRpcOfEveryServiceIsInTheTable) {
  for (const std::string& m : AllRpcs()) {
    EXPECT_NE(FindMethodRule(m), nullptr) << m << " is missing from the permission table";
  }
  std::set<std::string_view> names;
  for (const MethodRule& r : MethodRules()) {
    EXPECT_TRUE(names.insert(r.method).second) << r.method << " appears twice";
  }
}

TEST(PermissionsTest, AMethodMissingFromTheTableIsDeniedEvenToAdmins) {
  Principal admin{"root", AuthMethod::kJwt, {{"", Role::kAdmin}}};
  absl::Status s = Authorize(admin, "DeleteEverything", "default");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
}

TEST(PermissionsTest, RolesGrantWhatDesignSectionEightSays) {
  auto who = [](Role r) { return Principal{"u", AuthMethod::kJwt, {{"default", r}}}; };
  struct Case {
    const char* method;
    bool ns_admin, writer, reader, worker;
  };
  const Case cases[] = {
      {"StartWorkflowExecution", true, true, false, false},
      {"TerminateWorkflowExecution", true, true, false, false},
      {"DescribeWorkflowExecution", true, true, true, false},
      {"ListWorkflowExecutions", true, true, true, false},
      {"PollWorkflowTaskQueue", true, false, false, true},
      {"RespondActivityTaskCompleted", true, false, false, true},
      {"GrantRole", true, false, false, false},
      {"RegisterNamespace", false, false, false, false},
      {"CreateApiKey", false, false, false, false},
      {"ListNamespaces", true, true, true, true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Authorize(who(Role::kNamespaceAdmin), c.method, "default").ok(), c.ns_admin)
        << c.method;
    EXPECT_EQ(Authorize(who(Role::kWriter), c.method, "default").ok(), c.writer) << c.method;
    EXPECT_EQ(Authorize(who(Role::kReader), c.method, "default").ok(), c.reader) << c.method;
    EXPECT_EQ(Authorize(who(Role::kWorker), c.method, "default").ok(), c.worker) << c.method;
  }
}

TEST(PermissionsTest, RolesHoldOnlyInTheirNamespace) {
  Principal w{"alice", AuthMethod::kJwt, {{"default", Role::kWriter}}};
  EXPECT_TRUE(Authorize(w, "StartWorkflowExecution", "default").ok());
  absl::Status s = Authorize(w, "StartWorkflowExecution", "payments");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "\"alice\" may not call StartWorkflowExecution in namespace \"payments\" (needs "
            "writer, namespace-admin or admin)");
  // Namespace-scoped permission without a namespace: admin only.
  Principal na{"bob", AuthMethod::kJwt, {{"default", Role::kNamespaceAdmin}}};
  EXPECT_FALSE(Authorize(na, "GrantRole", "").ok());
  Principal admin{"root", AuthMethod::kJwt, {{"", Role::kAdmin}}};
  for (const std::string& m : AllRpcs()) EXPECT_TRUE(Authorize(admin, m, "x").ok()) << m;
}

TEST(PrincipalTest, ParsesRoles) {
  EXPECT_EQ(*ParseRoleGrant("admin"), (RoleGrant{"", Role::kAdmin}));
  EXPECT_EQ(*ParseRoleGrant("default:namespace-admin"),
            (RoleGrant{"default", Role::kNamespaceAdmin}));
  EXPECT_EQ(RoleGrantToString(*ParseRoleGrant("ns.a:worker")), "ns.a:worker");
  for (const char* bad : {"", "writer", ":writer", "default:", "default:owner", "Admin"}) {
    EXPECT_FALSE(ParseRoleGrant(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace weft::frontend::auth
