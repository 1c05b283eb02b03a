// RateLimiter: token buckets per namespace and per caller. A call takes one token from its
// namespace's bucket and one from its caller's; when either is empty the call is refused
// with RESOURCE_EXHAUSTED and the time after which a retry can succeed. Buckets refill at
// `rps` tokens a second and hold `burst` (default: one second's worth, at least 1).
//
//   RateLimiter limiter({.namespace_rps = 500, .caller_rps = 100}, &clock);
//   RateDecision d = limiter.Admit("default", "alice");
//   if (!d.status.ok()) ... d.retry_after ...
//
// Thread safety: thread-safe. Ownership: borrows the clock.
#ifndef WEFT_SERVER_FRONTEND_AUTH_RATE_LIMITER_H_
#define WEFT_SERVER_FRONTEND_AUTH_RATE_LIMITER_H_

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/clock.h"

namespace weft::frontend::auth {

struct RateLimitOptions {
  double namespace_rps = 0;    // 0: no limit
  double caller_rps = 0;       // 0: no limit
  double namespace_burst = 0;  // 0: max(1, namespace_rps)
  double caller_burst = 0;     // 0: max(1, caller_rps)
};

struct RateDecision {
  absl::Status status;  // OK or RESOURCE_EXHAUSTED
  absl::Duration retry_after = absl::ZeroDuration();
};

class RateLimiter {
 public:
  RateLimiter(RateLimitOptions options, const Clock* clock);

  bool enabled() const { return options_.namespace_rps > 0 || options_.caller_rps > 0; }
  // `ns` may be empty (cluster-wide calls), which only the caller's bucket limits.
  RateDecision Admit(const std::string& ns, const std::string& caller);

 private:
  struct Bucket {
    double tokens;
    absl::Time last;
  };
  // Refills `b` to `now`; returns how long until it holds a whole token (zero if it does).
  static absl::Duration Refill(Bucket& b, double rps, double burst, absl::Time now);
  Bucket& BucketFor(std::map<std::string, Bucket>& buckets, const std::string& key, double burst,
                    absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RateLimitOptions options_;
  const Clock* const clock_;
  absl::Mutex mu_;
  std::map<std::string, Bucket> namespaces_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Bucket> callers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::frontend::auth

#endif  // WEFT_SERVER_FRONTEND_AUTH_RATE_LIMITER_H_
