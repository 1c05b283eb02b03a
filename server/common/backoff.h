// Retry policy arithmetic shared by activity retries and workflow-task retries: Temporal's
// defaults and its exponential backoff.
//
// Thread safety: pure functions.
#ifndef WEFT_SERVER_COMMON_BACKOFF_H_
#define WEFT_SERVER_COMMON_BACKOFF_H_

#include <string>

#include "absl/time/time.h"
#include "weft/api/v1/common.pb.h"
#include "weft/api/v1/enums.pb.h"

namespace weft {

// Fills in Temporal's defaults: initial 1s, coefficient 2.0, maximum 100 x initial.
api::v1::RetryPolicy WithRetryDefaults(const api::v1::RetryPolicy& policy);

// The wait before attempt `next_attempt` (>= 2): initial * coefficient^(next_attempt-2),
// capped at the maximum interval.
absl::Duration RetryBackoff(const api::v1::RetryPolicy& policy, int next_attempt);

// Whether a failed attempt may be retried. `expiration` is when the whole activity must be
// closed (schedule-to-close); absl::InfiniteFuture() when unbounded. Returns
// RETRY_STATE_IN_PROGRESS to retry, otherwise the reason not to.
api::v1::RetryState DecideRetry(const api::v1::RetryPolicy& policy, int attempt,
                                const std::string& failure_type, bool non_retryable, absl::Time now,
                                absl::Time expiration);

}  // namespace weft

#endif  // WEFT_SERVER_COMMON_BACKOFF_H_
