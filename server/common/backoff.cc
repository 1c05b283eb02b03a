#include "server/common/backoff.h"

#include <algorithm>
#include <cmath>

#include "server/common/proto_time.h"

namespace weft {

api::v1::RetryPolicy WithRetryDefaults(const api::v1::RetryPolicy& policy) {
  api::v1::RetryPolicy p = policy;
  absl::Duration initial = FromProto(p.initial_interval());
  if (initial <= absl::ZeroDuration()) {
    initial = absl::Seconds(1);
    *p.mutable_initial_interval() = ToProto(initial);
  }
  if (p.backoff_coefficient() < 1.0) p.set_backoff_coefficient(2.0);
  if (FromProto(p.maximum_interval()) <= absl::ZeroDuration()) {
    *p.mutable_maximum_interval() = ToProto(initial * 100);
  }
  return p;
}

absl::Duration RetryBackoff(const api::v1::RetryPolicy& policy, int next_attempt) {
  api::v1::RetryPolicy p = WithRetryDefaults(policy);
  double initial = absl::ToDoubleSeconds(FromProto(p.initial_interval()));
  double max = absl::ToDoubleSeconds(FromProto(p.maximum_interval()));
  double exp = std::max(0, next_attempt - 2);
  double secs = initial * std::pow(p.backoff_coefficient(), exp);
  if (!std::isfinite(secs) || secs > max) secs = max;
  return absl::Seconds(secs);
}

api::v1::RetryState DecideRetry(const api::v1::RetryPolicy& policy, int attempt,
                                const std::string& failure_type, bool non_retryable, absl::Time now,
                                absl::Time expiration) {
  if (non_retryable) return api::v1::RETRY_STATE_NON_RETRYABLE_FAILURE;
  for (const auto& t : policy.non_retryable_error_types()) {
    if (t == failure_type) return api::v1::RETRY_STATE_NON_RETRYABLE_FAILURE;
  }
  if (policy.maximum_attempts() > 0 && attempt >= policy.maximum_attempts()) {
    return api::v1::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED;
  }
  if (now + RetryBackoff(policy, attempt + 1) >= expiration) return api::v1::RETRY_STATE_TIMEOUT;
  return api::v1::RETRY_STATE_IN_PROGRESS;
}

}  // namespace weft
