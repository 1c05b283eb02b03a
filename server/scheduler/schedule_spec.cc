#include "server/scheduler/schedule_spec.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "server/common/proto_time.h"

namespace weft::scheduler {
namespace {

// 64-bit FNV-1a: stable across builds and restarts, unlike std::hash.
uint64_t Fnv1a(std::string_view data, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

absl::StatusOr<CompiledSpec> CompiledSpec::Compile(const api::v1::ScheduleSpec& spec) {
  CompiledSpec out;
  if (spec.cron_expressions().empty() && spec.intervals().empty()) {
    return absl::InvalidArgumentError(
        "schedule spec needs at least one cron expression or interval (e.g. --cron '0 * * * *' "
        "or --interval 1h)");
  }
  for (const std::string& text : spec.cron_expressions()) {
    auto c = CronExpression::Parse(text);
    if (!c.ok()) return c.status();
    out.crons_.push_back(std::move(*c));
  }
  for (const auto& iv : spec.intervals()) {
    absl::Duration every = FromProto(iv.interval());
    absl::Duration phase = FromProto(iv.phase());
    if (every <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("schedule interval must be positive");
    }
    if (every < absl::Seconds(1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "schedule interval ", absl::FormatDuration(every), " is shorter than the minimum of 1s"));
    }
    if (phase < absl::ZeroDuration()) {
      return absl::InvalidArgumentError("schedule interval phase must not be negative");
    }
    out.intervals_.push_back({every, phase % every});
  }
  for (const auto& c : out.crons_) {
    if (c.every() > absl::ZeroDuration() && c.every() < absl::Seconds(1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cron '", c.text(), "': interval is shorter than the minimum of 1s"));
    }
  }
  if (spec.has_start_time()) out.start_ = FromProto(spec.start_time());
  if (spec.has_end_time()) out.end_ = FromProto(spec.end_time());
  if (out.end_ < out.start_) {
    return absl::InvalidArgumentError("schedule end_time is before start_time");
  }
  out.jitter_ = FromProto(spec.jitter());
  if (out.jitter_ < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("schedule jitter must not be negative");
  }
  // A cron expression that can never fire (e.g. "0 0 30 2 *") is a mistake, not a schedule.
  for (const auto& c : out.crons_) {
    if (c.Next(absl::UnixEpoch() + absl::Hours(24 * 365 * 56)) == absl::InfiniteFuture()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cron '", c.text(), "' never matches a date (check day-of-month and month)"));
    }
  }
  return out;
}

absl::Time CompiledSpec::NextNominal(absl::Time t) const {
  // Times before start_time do not count: look from just before it.
  if (start_ != absl::InfinitePast() && t < start_) t = start_ - absl::Nanoseconds(1);
  absl::Time best = absl::InfiniteFuture();
  for (const auto& c : crons_) best = std::min(best, c.Next(t));
  for (const auto& iv : intervals_) {
    const int64_t step = absl::ToInt64Nanoseconds(iv.every);
    const int64_t phase = absl::ToInt64Nanoseconds(iv.phase);
    const int64_t x = absl::ToUnixNanos(t) - phase;
    int64_t k = x / step;
    if (x % step != 0 && x < 0) --k;
    best = std::min(best, absl::FromUnixNanos((k + 1) * step + phase));
  }
  if (best > end_) return absl::InfiniteFuture();
  return best;
}

absl::Time CompiledSpec::DueTime(const std::string& schedule_id, absl::Time nominal) const {
  if (jitter_ <= absl::ZeroDuration() || nominal == absl::InfiniteFuture()) return nominal;
  uint64_t h = Fnv1a(schedule_id);
  h = Fnv1a(absl::StrCat(absl::ToUnixNanos(nominal)), h);
  const uint64_t range = static_cast<uint64_t>(absl::ToInt64Nanoseconds(jitter_));
  return nominal + absl::Nanoseconds(static_cast<int64_t>(h % range));
}

std::vector<absl::Time> CompiledSpec::FutureDueTimes(const std::string& schedule_id, absl::Time t,
                                                     int n) const {
  std::vector<absl::Time> out;
  for (absl::Time x = NextNominal(t);
       x != absl::InfiniteFuture() && static_cast<int>(out.size()) < n; x = NextNominal(x)) {
    out.push_back(DueTime(schedule_id, x));
  }
  return out;
}

std::string FormatScheduleTime(absl::Time t) {
  if (absl::ToUnixNanos(t) % 1000000000 == 0) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
  }
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

}  // namespace weft::scheduler
