// CircuitBreakerAdmin: the narrow interface through which the frontend reaches the history
// service's circuit breakers (AdminService ListCircuitBreakers / DescribeCircuitBreaker /
// SetCircuitBreakerOverride) and tells it each namespace's breaker configuration. On one
// node CircuitBreakerRegistry implements it in-process; in a cluster the same calls go to the
// history nodes.
//
// Namespaces are named as the caller named them; errors: NOT_FOUND (unknown namespace),
// INVALID_ARGUMENT (missing activity type, a task queue given or missing against the
// namespace's per_task_queue setting, an unknown override), UNAVAILABLE (storage).
//
// Thread safety: implementations are thread-safe.
#ifndef WEFT_SERVER_HISTORY_CIRCUIT_BREAKER_ADMIN_H_
#define WEFT_SERVER_HISTORY_CIRCUIT_BREAKER_ADMIN_H_

#include <string>

#include "absl/status/statusor.h"
#include "weft/api/v1/admin_service.pb.h"
#include "weft/api/v1/workflow_service.pb.h"

namespace weft::history {

class CircuitBreakerAdmin {
 public:
  virtual ~CircuitBreakerAdmin() = default;

  // A namespace was registered, loaded or updated: its breakers follow `config` from now on.
  virtual void ConfigureNamespace(const std::string& namespace_id,
                                  const std::string& namespace_name,
                                  const api::v1::CircuitBreakerConfig& config) = 0;

  // Every breaker of the namespace that has seen an attempt or carries an override.
  virtual absl::StatusOr<api::v1::ListCircuitBreakersResponse> ListCircuitBreakers(
      const api::v1::ListCircuitBreakersRequest& request) = 0;
  // A breaker that has seen nothing yet is CLOSED with an empty window.
  virtual absl::StatusOr<api::v1::DescribeCircuitBreakerResponse> DescribeCircuitBreaker(
      const api::v1::DescribeCircuitBreakerRequest& request) = 0;
  // Persists the override (meta CF) before it takes effect; AUTO removes it.
  virtual absl::StatusOr<api::v1::SetCircuitBreakerOverrideResponse> SetCircuitBreakerOverride(
      const api::v1::SetCircuitBreakerOverrideRequest& request, const std::string& set_by) = 0;
};

}  // namespace weft::history

#endif  // WEFT_SERVER_HISTORY_CIRCUIT_BREAKER_ADMIN_H_
