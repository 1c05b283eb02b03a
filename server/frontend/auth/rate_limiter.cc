#include "server/frontend/auth/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace weft::frontend::auth {
namespace {

// Idle full buckets are dropped past this many callers, so a flood of distinct callers
// cannot grow memory without bound.
constexpr size_t kMaxBuckets = 10000;

double BurstOf(double rps, double burst) { return burst > 0 ? burst : std::max(1.0, rps); }

}  // namespace

RateLimiter::RateLimiter(RateLimitOptions options, const Clock* clock)
    : options_(options), clock_(clock) {}

absl::Duration RateLimiter::Refill(Bucket& b, double rps, double burst, absl::Time now) {
  double elapsed = absl::ToDoubleSeconds(now - b.last);
  if (elapsed > 0) {
    b.tokens = std::min(burst, b.tokens + elapsed * rps);
    b.last = now;
  }
  if (b.tokens >= 1) return absl::ZeroDuration();
  return absl::Milliseconds(std::ceil((1 - b.tokens) / rps * 1000));
}

RateLimiter::Bucket& RateLimiter::BucketFor(std::map<std::string, Bucket>& buckets,
                                            const std::string& key, double burst, absl::Time now) {
  auto it = buckets.find(key);
  if (it != buckets.end()) return it->second;
  if (buckets.size() >= kMaxBuckets) {
    for (auto i = buckets.begin(); i != buckets.end();) {
      i = (now - i->second.last > absl::Seconds(60)) ? buckets.erase(i) : std::next(i);
    }
  }
  return buckets.emplace(key, Bucket{burst, now}).first->second;
}

RateDecision RateLimiter::Admit(const std::string& ns, const std::string& caller) {
  if (!enabled()) return {};
  absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  Bucket* nb = nullptr;
  Bucket* cb = nullptr;
  absl::Duration wait_ns = absl::ZeroDuration();
  absl::Duration wait_caller = absl::ZeroDuration();
  if (options_.namespace_rps > 0 && !ns.empty()) {
    double burst = BurstOf(options_.namespace_rps, options_.namespace_burst);
    nb = &BucketFor(namespaces_, ns, burst, now);
    wait_ns = Refill(*nb, options_.namespace_rps, burst, now);
  }
  if (options_.caller_rps > 0) {
    double burst = BurstOf(options_.caller_rps, options_.caller_burst);
    cb = &BucketFor(callers_, caller, burst, now);
    wait_caller = Refill(*cb, options_.caller_rps, burst, now);
  }
  // Take from neither unless both have a token, so a refused call costs nothing.
  if (wait_ns > absl::ZeroDuration() || wait_caller > absl::ZeroDuration()) {
    RateDecision d;
    d.retry_after = std::max(wait_ns, wait_caller);
    std::string what =
        wait_ns >= wait_caller
            ? absl::StrFormat("namespace \"%s\" (%g calls/s)", ns, options_.namespace_rps)
            : absl::StrFormat("caller \"%s\" (%g calls/s)", caller, options_.caller_rps);
    d.status = absl::ResourceExhaustedError(
        absl::StrCat("rate limit exceeded for ", what, "; retry after ",
                     absl::ToInt64Milliseconds(d.retry_after), "ms"));
    return d;
  }
  if (nb != nullptr) nb->tokens -= 1;
  if (cb != nullptr) cb->tokens -= 1;
  return {};
}

}  // namespace weft::frontend::auth
