// RoleStore: roles granted to subjects (JWT subjects, "apikey:<id>", "cert:<name>") on top of
// the roles their credential carries, kept in the meta column family ("grant/<subject>") and
// cached in memory. `weft role grant|revoke|list` manages them.
//
// Thread safety: thread-safe. Ownership: borrows the Store.
#ifndef WEFT_SERVER_FRONTEND_AUTH_ROLE_STORE_H_
#define WEFT_SERVER_FRONTEND_AUTH_ROLE_STORE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/frontend/auth/principal.h"
#include "storage/store.h"

namespace weft::frontend::auth {

class RoleStore {
 public:
  explicit RoleStore(storage::Store* store) : store_(store) {}

  absl::Status Load();
  // Granting a role already held is OK.
  absl::Status Grant(const std::string& subject, const RoleGrant& role);
  // NOT_FOUND when the subject does not hold the role (through a grant).
  absl::Status Revoke(const std::string& subject, const RoleGrant& role);
  std::vector<RoleGrant> RolesOf(const std::string& subject);
  // Subjects and their granted roles; with a namespace, only the roles in it (and admins).
  std::map<std::string, std::vector<RoleGrant>> List(const std::string& ns);

 private:
  absl::Status Persist(const std::string& subject) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  storage::Store* const store_;
  absl::Mutex mu_;
  std::map<std::string, std::vector<RoleGrant>> grants_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::frontend::auth

#endif  // WEFT_SERVER_FRONTEND_AUTH_ROLE_STORE_H_
