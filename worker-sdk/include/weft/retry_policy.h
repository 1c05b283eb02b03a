// weft::RetryPolicy: how the server retries a failed activity (or workflow).
//
// Zero values take the server defaults: initial_interval 1s, backoff_coefficient 2.0,
// maximum_interval 100 x initial_interval, maximum_attempts 0 (unlimited).
//
// Thread safety: a plain value. non_retryable_error_types is a view: the strings it points to
// must stay alive until the policy is used (ExecuteActivity / StartWorkflow copy it at once),
// e.g. `static constexpr std::string_view kFatal[] = {"InvalidOrder"};`. It is a view so that
// ActivityOptions stays trivially copyable (see workflow_context.h).
#ifndef WEFT_RETRY_POLICY_H_
#define WEFT_RETRY_POLICY_H_

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>

#include "weft/api/v1/common.pb.h"

namespace weft {

struct RetryPolicy {
  std::chrono::milliseconds initial_interval{0};
  double backoff_coefficient = 0;
  std::chrono::milliseconds maximum_interval{0};
  int32_t maximum_attempts = 0;
  std::span<const std::string_view> non_retryable_error_types;

  api::v1::RetryPolicy ToProto() const;
};

}  // namespace weft

#endif  // WEFT_RETRY_POLICY_H_
