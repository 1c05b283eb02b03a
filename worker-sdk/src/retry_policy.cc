#include "weft/retry_policy.h"

#include "proto_time.h"

namespace weft {

api::v1::RetryPolicy RetryPolicy::ToProto() const {
  api::v1::RetryPolicy out;
  if (initial_interval.count() > 0) {
    *out.mutable_initial_interval() = detail::ToProtoDuration(initial_interval);
  }
  out.set_backoff_coefficient(backoff_coefficient);
  if (maximum_interval.count() > 0) {
    *out.mutable_maximum_interval() = detail::ToProtoDuration(maximum_interval);
  }
  out.set_maximum_attempts(maximum_attempts);
  for (const auto& t : non_retryable_error_types) out.add_non_retryable_error_types(std::string(t));
  return out;
}

}  // namespace weft
