// CronExpression: a parsed five-field cron expression (minute hour day-of-month month
// day-of-week) or one of the "@" shorthands, evaluated in UTC; it answers "when is the next
// time after t?".
//
//   auto cron = CronExpression::Parse("*/15 9-17 * * MON-FRI");
//   if (!cron.ok()) return cron.status();  // INVALID_ARGUMENT naming the bad field
//   absl::Time next = cron->Next(now);      // absl::InfiniteFuture() if it never fires again
//
// Fields take `*`, numbers, lists (1,5,9), ranges (1-5), steps (*/15, 10-40/10, 5/20), month
// names (JAN..DEC) and day names (SUN..SAT, 7 is Sunday too). When both day-of-month and
// day-of-week are restricted (neither starts with `*`) a day matches if EITHER matches, as in
// Vixie cron. Shorthands: @yearly (@annually), @monthly, @weekly, @daily (@midnight),
// @hourly, and "@every <duration>" (e.g. "@every 90s", "@every 1h30m"), which fires at every
// multiple of the duration since the Unix epoch.
//
// Thread safety: immutable after Parse; safe to share. Value type.
#ifndef WEFT_SERVER_SCHEDULER_CRON_H_
#define WEFT_SERVER_SCHEDULER_CRON_H_

#include <bitset>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace weft::scheduler {

class CronExpression {
 public:
  static absl::StatusOr<CronExpression> Parse(const std::string& text);

  // The first firing time strictly after `t`; absl::InfiniteFuture() if there is none within
  // the next eight years (e.g. "0 0 30 2 *").
  absl::Time Next(absl::Time t) const;

  const std::string& text() const { return text_; }
  // Set for "@every <duration>".
  absl::Duration every() const { return every_; }

 private:
  CronExpression() = default;

  std::string text_;
  absl::Duration every_ = absl::ZeroDuration();
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1..31
  std::bitset<13> months_;         // 1..12
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool dom_star_ = false;
  bool dow_star_ = false;
};

// Parses a duration such as "90s", "1h30m", "500ms" or "2d" (days are 24 h). Rejects zero
// and negative durations with INVALID_ARGUMENT naming `what`.
absl::StatusOr<absl::Duration> ParsePositiveDuration(const std::string& text,
                                                     const std::string& what);

}  // namespace weft::scheduler

#endif  // WEFT_SERVER_SCHEDULER_CRON_H_
