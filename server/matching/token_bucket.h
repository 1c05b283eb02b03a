// TokenBucket: the dispatch rate limit of one task queue (Temporal's
// TaskQueueActivitiesPerSecond). It holds at most one token, refilled at `rate` per second,
// so in any interval of length T at most 1 + rate*T tasks get out: a strict "so many per
// second" with no burst that a busy moment could spend at once. Time is passed in, never
// read, so tests drive it with a fake clock.
//
//   TokenBucket b;
//   b.SetRate(2, now);                        // two tasks per second
//   if (!b.TryTake(now)) wait_until(b.NextTokenTime(now));
//
// Thread safety: not thread-safe; the owner (MatchingEngine) guards it with its mutex.
#ifndef WEFT_SERVER_MATCHING_TOKEN_BUCKET_H_
#define WEFT_SERVER_MATCHING_TOKEN_BUCKET_H_

#include "absl/time/time.h"

namespace weft::matching {

class TokenBucket {
 public:
  // per_second <= 0 lifts the limit. The tokens earned so far at the old rate are kept.
  void SetRate(double per_second, absl::Time now);
  double rate() const { return rate_; }
  bool limited() const { return rate_ > 0; }

  // Takes a token if one is available at `now` (always, when unlimited).
  bool TryTake(absl::Time now);
  // The earliest time TryTake() can succeed: `now` if a token is available.
  absl::Time NextTokenTime(absl::Time now);

 private:
  void Refill(absl::Time now);

  double rate_ = 0;
  double tokens_ = 1;  // 0..1; a new or idle bucket lets one task through at once
  absl::Time last_refill_ = absl::InfinitePast();
};

}  // namespace weft::matching

#endif  // WEFT_SERVER_MATCHING_TOKEN_BUCKET_H_
