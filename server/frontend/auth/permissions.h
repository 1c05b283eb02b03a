// The permission table: the one place that says which permission each RPC needs. Every
// RPC of WorkflowService and AdminService has an entry; a method missing from the table is
// denied (permissions_test.cc fails when a new RPC is added without one).
//
// Roles grant permissions in their namespace:
//   admin            everything, in every namespace, and cluster-wide calls
//   namespace-admin  namespace-admin, write, read and work
//   writer           write and read
//   reader           read
//   worker           work (poll and respond on task queues)
// A namespace-scoped permission asked for with an empty namespace needs admin.
//
// Thread safety: the table is immutable; the functions are pure.
#ifndef WEFT_SERVER_FRONTEND_AUTH_PERMISSIONS_H_
#define WEFT_SERVER_FRONTEND_AUTH_PERMISSIONS_H_

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "server/frontend/auth/principal.h"

namespace weft::frontend::auth {

enum class Permission {
  kAdmin,           // cluster-wide administration
  kNamespaceAdmin,  // manage a namespace and grant roles in it
  kWrite,           // start, signal, cancel, terminate workflows
  kRead,            // list, describe, history, query
  kWork,            // poll task queues and respond to tasks
  kAuthenticated,   // any authenticated caller
};

struct MethodRule {
  std::string_view method;  // the RPC's name, e.g. "StartWorkflowExecution"
  Permission permission;
  // Written to the audit log when it succeeds (denials always are). Worker calls are not:
  // they are the data plane and would drown the log.
  bool audited;
};

// nullptr when `method` is not in the table.
const MethodRule* FindMethodRule(std::string_view method);
const std::vector<MethodRule>& MethodRules();

// OK when `principal` may call `method` on namespace `ns` (empty for cluster-wide calls);
// otherwise PERMISSION_DENIED naming the caller, the call and the roles that would allow it.
absl::Status Authorize(const Principal& principal, std::string_view method, std::string_view ns);

}  // namespace weft::frontend::auth

#endif  // WEFT_SERVER_FRONTEND_AUTH_PERMISSIONS_H_
