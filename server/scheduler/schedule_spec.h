// CompiledSpec: a validated api::v1::ScheduleSpec (cron expressions, intervals, start/end
// time, jitter) that answers "which nominal time comes after t?" and "when is the action for
// nominal time t taken?" (nominal time + jitter).
//
//   auto spec = CompiledSpec::Compile(schedule.spec(), now);  // INVALID_ARGUMENT if bad
//   absl::Time t = spec->NextNominal(processed_until);          // InfiniteFuture: no more
//   absl::Time due = spec->DueTime("nightly", t);
//
// Jitter is a hash of (schedule id, nominal time), not a random draw, so a restart computes
// the same delay for the same action.
//
// Thread safety: immutable after Compile; safe to share. Value type.
#ifndef WEFT_SERVER_SCHEDULER_SCHEDULE_SPEC_H_
#define WEFT_SERVER_SCHEDULER_SCHEDULE_SPEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/scheduler/cron.h"
#include "weft/api/v1/schedule.pb.h"

namespace weft::scheduler {

class CompiledSpec {
 public:
  // INVALID_ARGUMENT when the spec has neither cron expressions nor intervals, a cron
  // expression does not parse or never fires, an interval is not positive, a phase is
  // negative, jitter is negative, or end_time is before start_time.
  static absl::StatusOr<CompiledSpec> Compile(const api::v1::ScheduleSpec& spec);

  // The first nominal time strictly after `t` (within [start_time, end_time]);
  // absl::InfiniteFuture() when there is none.
  absl::Time NextNominal(absl::Time t) const;
  // When the action for nominal time `nominal` is due: nominal + a jitter in [0, jitter)
  // derived from (schedule_id, nominal).
  absl::Time DueTime(const std::string& schedule_id, absl::Time nominal) const;
  // The next `n` due times after `t`.
  std::vector<absl::Time> FutureDueTimes(const std::string& schedule_id, absl::Time t, int n) const;

 private:
  struct Interval {
    absl::Duration every;
    absl::Duration phase;
  };
  std::vector<CronExpression> crons_;
  std::vector<Interval> intervals_;
  absl::Time start_ = absl::InfinitePast();
  absl::Time end_ = absl::InfiniteFuture();
  absl::Duration jitter_ = absl::ZeroDuration();
};

// RFC 3339 in UTC, with fractional seconds only when they are not zero:
// "2026-11-22T02:30:00Z".
std::string FormatScheduleTime(absl::Time t);

}  // namespace weft::scheduler

#endif  // WEFT_SERVER_SCHEDULER_SCHEDULE_SPEC_H_
