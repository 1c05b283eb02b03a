#include "server/matching/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace weft::matching {
namespace {
// Floating-point slack: a token earned "exactly now" must count as earned.
constexpr double kEpsilon = 1e-9;
}  // namespace

void TokenBucket::Refill(absl::Time now) {
  if (last_refill_ == absl::InfinitePast() || !limited()) {
    last_refill_ = now;
    return;
  }
  if (now > last_refill_) {
    tokens_ = std::min(1.0, tokens_ + absl::ToDoubleSeconds(now - last_refill_) * rate_);
    last_refill_ = now;
  }
}

void TokenBucket::SetRate(double per_second, absl::Time now) {
  if (per_second == rate_) return;
  Refill(now);
  if (!limited()) tokens_ = 1;  // an unlimited queue owes nothing
  rate_ = per_second > 0 ? per_second : 0;
  last_refill_ = now;
}

bool TokenBucket::TryTake(absl::Time now) {
  if (!limited()) return true;
  Refill(now);
  if (tokens_ + kEpsilon < 1.0) return false;
  tokens_ = std::max(0.0, tokens_ - 1.0);
  return true;
}

absl::Time TokenBucket::NextTokenTime(absl::Time now) {
  if (!limited()) return now;
  Refill(now);
  double missing = 1.0 - tokens_;
  if (missing <= kEpsilon) return now;
  // Round up so that waking at the returned time finds the token earned.
  return now + absl::Nanoseconds(std::ceil(missing / rate_ * 1e9));
}

}  // namespace weft::matching
