// Clock: the one place the server reads wall-clock time, so tests can drive time.
//
// Thread safety: implementations are thread-safe. Ownership: callers borrow the clock; the
// composition root owns it.
#ifndef WEFT_SERVER_COMMON_CLOCK_H_
#define WEFT_SERVER_COMMON_CLOCK_H_

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace weft {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock that moves only when told to. For unit tests.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start) : nanos_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(nanos_.load()); }
  void Advance(absl::Duration d) { nanos_ += absl::ToInt64Nanoseconds(d); }

 private:
  std::atomic<int64_t> nanos_;
};

}  // namespace weft

#endif  // WEFT_SERVER_COMMON_CLOCK_H_
