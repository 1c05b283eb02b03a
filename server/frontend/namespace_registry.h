// NamespaceRegistry: namespaces (tenants) stored in the `meta` column family and cached in
// memory. Every frontend call resolves its namespace name here.
//
// Thread safety: thread-safe. Ownership: borrows the Store and Clock.
#ifndef WEFT_SERVER_FRONTEND_NAMESPACE_REGISTRY_H_
#define WEFT_SERVER_FRONTEND_NAMESPACE_REGISTRY_H_

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/clock.h"
#include "storage/store.h"
#include "weft/internal/persistence.pb.h"

namespace weft::frontend {

class NamespaceRegistry {
 public:
  NamespaceRegistry(storage::Store* store, const Clock* clock) : store_(store), clock_(clock) {}

  // Loads every namespace from storage.
  absl::Status Load();
  // ALREADY_EXISTS if the name is taken. Retention defaults to 72 h.
  absl::Status Register(internal::NamespaceRecord record);
  // NOT_FOUND with a message naming the namespace.
  absl::StatusOr<internal::NamespaceRecord> Get(const std::string& name);
  std::vector<internal::NamespaceRecord> List();
  // Registers custom search attributes (names already checked): a name registered with the
  // same type is kept, with another type ALREADY_EXISTS, past the per-namespace limit
  // FAILED_PRECONDITION. Written (synced) before the cache sees it. NOT_FOUND if absent.
  absl::Status AddSearchAttributes(const std::string& name,
                                   const std::map<std::string, api::v1::IndexedValueType>& attrs);
  // Read-modify-write of one namespace: `mutate` edits a copy (its error aborts the update);
  // the result is written (synced) before the cache and the listener see it. NOT_FOUND if
  // absent. The name and id cannot change.
  absl::StatusOr<internal::NamespaceRecord> Update(
      const std::string& name,
      const std::function<absl::Status(internal::NamespaceRecord&)>& mutate);
  // Called with every namespace now and with each one registered or updated later (under
  // the registry's lock: keep it short and do not call back into the registry).
  void SetListener(std::function<void(const internal::NamespaceRecord&)> listener);

 private:
  storage::Store* const store_;
  const Clock* const clock_;
  std::mutex mu_;
  std::map<std::string, internal::NamespaceRecord> by_name_;        // guarded by mu_
  std::function<void(const internal::NamespaceRecord&)> listener_;  // guarded by mu_
};

}  // namespace weft::frontend

#endif  // WEFT_SERVER_FRONTEND_NAMESPACE_REGISTRY_H_
