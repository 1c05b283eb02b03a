#include "server/scheduler/cron.h"

#include <gtest/gtest.h>

#include <vector>

#include "absl/time/civil_time.h"
#include "server/common/proto_time.h"
#include "server/scheduler/schedule_spec.h"

namespace weft::scheduler {
namespace {

absl::Time T(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

std::string Next(const std::string& expr, absl::Time from) {
  auto c = CronExpression::Parse(expr);
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return "";
  return FormatScheduleTime(c->Next(from));
}

std::vector<std::string> NextN(const std::string& expr, absl::Time from, int n) {
  auto c = CronExpression::Parse(expr);
  EXPECT_TRUE(c.ok()) << c.status();
  std::vector<std::string> out;
  for (int i = 0; c.ok() && i < n; ++i) {
    from = c->Next(from);
    out.push_back(FormatScheduleTime(from));
  }
  return out;
}

std::string ParseError(const std::string& expr) {
  auto c = CronExpression::Parse(expr);
  EXPECT_FALSE(c.ok()) << expr;
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(CronTest, EveryMinuteIsStrictlyAfter) {
  EXPECT_EQ(Next("* * * * *", T(2026, 1, 1, 10, 0, 0)), "2026-01-01T10:01:00Z");
  EXPECT_EQ(Next("* * * * *", T(2026, 1, 1, 10, 0, 30)), "2026-01-01T10:01:00Z");
}

TEST(CronTest, StepsListsAndRanges) {
  EXPECT_EQ(NextN("*/15 * * * *", T(2026, 1, 1, 10, 7), 3),
            (std::vector<std::string>{"2026-01-01T10:15:00Z", "2026-01-01T10:30:00Z",
                                      "2026-01-01T10:45:00Z"}));
  EXPECT_EQ(NextN("10-40/15 * * * *", T(2026, 1, 1, 10, 0), 4),
            (std::vector<std::string>{"2026-01-01T10:10:00Z", "2026-01-01T10:25:00Z",
                                      "2026-01-01T10:40:00Z", "2026-01-01T11:10:00Z"}));
  EXPECT_EQ(NextN("5/20 * * * *", T(2026, 1, 1, 10, 0), 3),
            (std::vector<std::string>{"2026-01-01T10:05:00Z", "2026-01-01T10:25:00Z",
                                      "2026-01-01T10:45:00Z"}));
  EXPECT_EQ(NextN("0 9,17 * * *", T(2026, 1, 1, 12, 0), 2),
            (std::vector<std::string>{"2026-01-01T17:00:00Z", "2026-01-02T09:00:00Z"}));
}

TEST(CronTest, MonthEnds) {
  // The 31st skips the months that do not have one.
  EXPECT_EQ(NextN("0 0 31 * *", T(2026, 1, 31, 12), 3),
            (std::vector<std::string>{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z",
                                      "2026-07-31T00:00:00Z"}));
  // Feb 29 only in leap years.
  EXPECT_EQ(Next("0 0 29 2 *", T(2026, 1, 1)), "2028-02-29T00:00:00Z");
  // Year rollover.
  EXPECT_EQ(Next("0 0 1 1 *", T(2026, 12, 31, 23, 59)), "2027-01-01T00:00:00Z");
}

TEST(CronTest, DayOfMonthOrDayOfWeekWhenBothRestricted) {
  // 2026-03-01 is a Sunday. "the 15th, or any Monday".
  EXPECT_EQ(NextN("0 0 15 * MON", T(2026, 3, 1), 4),
            (std::vector<std::string>{"2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z",
                                      "2026-03-15T00:00:00Z", "2026-03-16T00:00:00Z"}));
  // With one of them '*', both must match (here: only Mondays).
  EXPECT_EQ(NextN("0 0 * * 1", T(2026, 3, 1), 2),
            (std::vector<std::string>{"2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z"}));
  // Day 1-7 AND Friday is not the rule: '*' in neither, so either.
  EXPECT_EQ(Next("0 0 1-7 * 5", T(2026, 3, 1)), "2026-03-02T00:00:00Z");
}

TEST(CronTest, NamesAndSundaySeven) {
  EXPECT_EQ(Next("30 8 * JAN-MAR mon-fri", T(2026, 3, 27, 9)), "2026-03-30T08:30:00Z");
  EXPECT_EQ(Next("30 8 * * mon-fri", T(2026, 3, 27, 9)), "2026-03-30T08:30:00Z");
  EXPECT_EQ(Next("0 12 * * 7", T(2026, 3, 2)), "2026-03-08T12:00:00Z");
  EXPECT_EQ(Next("0 12 * * SUN", T(2026, 3, 2)), "2026-03-08T12:00:00Z");
  EXPECT_EQ(Next("0 0 1 dec *", T(2026, 3, 2)), "2026-12-01T00:00:00Z");
}

TEST(CronTest, Shorthands) {
  const absl::Time from = T(2026, 3, 4, 10, 20, 30);  // a Wednesday
  EXPECT_EQ(Next("@hourly", from), "2026-03-04T11:00:00Z");
  EXPECT_EQ(Next("@daily", from), "2026-03-05T00:00:00Z");
  EXPECT_EQ(Next("@weekly", from), "2026-03-08T00:00:00Z");
  EXPECT_EQ(Next("@monthly", from), "2026-04-01T00:00:00Z");
  EXPECT_EQ(Next("@yearly", from), "2027-01-01T00:00:00Z");
  EXPECT_EQ(Next("@every 90s", from), "2026-03-04T10:21:00Z");  // multiples since the epoch
  EXPECT_EQ(Next("@every 1h30m", T(2026, 3, 4, 10, 30)), "2026-03-04T12:00:00Z");
}

TEST(CronTest, ErrorsNameTheField) {
  EXPECT_EQ(ParseError("61 * * * *"), "cron '61 * * * *': minute 61 is out of range 0-59");
  EXPECT_EQ(ParseError("0 24 * * *"), "cron '0 24 * * *': hour 24 is out of range 0-23");
  EXPECT_EQ(ParseError("0 0 0 * *"), "cron '0 0 0 * *': day-of-month 0 is out of range 1-31");
  EXPECT_EQ(ParseError("0 0 * 13 *"), "cron '0 0 * 13 *': month 13 is out of range 1-12");
  EXPECT_EQ(ParseError("0 0 * * 8"), "cron '0 0 * * 8': day-of-week 8 is out of range 0-7");
  EXPECT_EQ(ParseError("* * *"),
            "cron '* * *': expected 5 fields (minute hour day-of-month month day-of-week), got 3");
  EXPECT_EQ(ParseError("*/0 * * * *"),
            "cron '*/0 * * * *': minute step '0' in '*/0' must be a positive number");
  EXPECT_EQ(ParseError("0 5-2 * * *"), "cron '0 5-2 * * *': hour range 5-2 is backwards (5 > 2)");
  EXPECT_EQ(ParseError("0 0 * FOO *"),
            "cron '0 0 * FOO *': month 'FOO' is not a number or a name (JAN..DEC)");
  EXPECT_EQ(ParseError("0 0 1,,2 * *"), "cron '0 0 1,,2 * *': empty item in day-of-month '1,,2'");
  EXPECT_NE(ParseError("@fortnightly").find("unknown shorthand"), std::string::npos);
  EXPECT_NE(ParseError("@every 0s").find("must be positive"), std::string::npos);
  EXPECT_NE(ParseError("@every soon").find("is not a duration"), std::string::npos);
  EXPECT_EQ(ParseError(""), "cron expression is empty");
}

TEST(CronTest, ImpossibleDateNeverFires) {
  auto c = CronExpression::Parse("0 0 30 2 *");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->Next(T(2026, 1, 1)), absl::InfiniteFuture());
  api::v1::ScheduleSpec spec;
  spec.add_cron_expressions("0 0 30 2 *");
  auto compiled = CompiledSpec::Compile(spec);
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(compiled.status().message().find("never matches"), std::string::npos);
}

TEST(ScheduleSpecTest, IntervalsWithPhaseAndUnion) {
  api::v1::ScheduleSpec spec;
  auto* iv = spec.add_intervals();
  *iv->mutable_interval() = ToProto(absl::Hours(1));
  *iv->mutable_phase() = ToProto(absl::Minutes(15));
  spec.add_cron_expressions("0 12 * * *");
  auto c = CompiledSpec::Compile(spec);
  ASSERT_TRUE(c.ok()) << c.status();
  std::vector<std::string> got;
  for (absl::Time t : c->FutureDueTimes("s", T(2026, 1, 1, 10, 15), 4)) {
    got.push_back(FormatScheduleTime(t));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"2026-01-01T11:15:00Z", "2026-01-01T12:00:00Z",
                                           "2026-01-01T12:15:00Z", "2026-01-01T13:15:00Z"}));
}

TEST(ScheduleSpecTest, StartAndEndTimeBoundTheTimes) {
  api::v1::ScheduleSpec spec;
  *spec.add_intervals()->mutable_interval() = ToProto(absl::Minutes(10));
  *spec.mutable_start_time() = ToProto(T(2026, 1, 1, 10, 5));
  *spec.mutable_end_time() = ToProto(T(2026, 1, 1, 10, 30));
  auto c = CompiledSpec::Compile(spec);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(FormatScheduleTime(c->NextNominal(T(2026, 1, 1))), "2026-01-01T10:10:00Z");
  EXPECT_EQ(FormatScheduleTime(c->NextNominal(T(2026, 1, 1, 10, 20))), "2026-01-01T10:30:00Z");
  EXPECT_EQ(c->NextNominal(T(2026, 1, 1, 10, 30)), absl::InfiniteFuture());
}

TEST(ScheduleSpecTest, JitterIsDeterministicAndBounded) {
  api::v1::ScheduleSpec spec;
  *spec.add_intervals()->mutable_interval() = ToProto(absl::Minutes(10));
  *spec.mutable_jitter() = ToProto(absl::Seconds(30));
  auto a = CompiledSpec::Compile(spec);
  auto b = CompiledSpec::Compile(spec);
  ASSERT_TRUE(a.ok() && b.ok());
  bool any_nonzero = false;
  for (int i = 0; i < 50; ++i) {
    absl::Time t = T(2026, 1, 1) + absl::Minutes(10 * i);
    absl::Time due = a->DueTime("nightly", t);
    EXPECT_GE(due, t);
    EXPECT_LT(due, t + absl::Seconds(30));
    EXPECT_EQ(due, b->DueTime("nightly", t));  // a restart computes the same delay
    any_nonzero |= due != t;
  }
  EXPECT_TRUE(any_nonzero);
  EXPECT_NE(a->DueTime("nightly", T(2026, 1, 1)) - T(2026, 1, 1),
            a->DueTime("hourly", T(2026, 1, 1)) - T(2026, 1, 1));
}

TEST(ScheduleSpecTest, ValidationErrors) {
  api::v1::ScheduleSpec empty;
  EXPECT_NE(CompiledSpec::Compile(empty).status().message().find("at least one cron"),
            std::string::npos);
  api::v1::ScheduleSpec zero;
  zero.add_intervals();
  EXPECT_EQ(CompiledSpec::Compile(zero).status().message(), "schedule interval must be positive");
  api::v1::ScheduleSpec backwards;
  backwards.add_cron_expressions("@hourly");
  *backwards.mutable_start_time() = ToProto(T(2026, 2, 1));
  *backwards.mutable_end_time() = ToProto(T(2026, 1, 1));
  EXPECT_EQ(CompiledSpec::Compile(backwards).status().message(),
            "schedule end_time is before start_time");
}

TEST(DurationTest, ParsesDaysAndRejectsNonsense) {
  EXPECT_EQ(*ParsePositiveDuration("2d", "x"), absl::Hours(48));
  EXPECT_EQ(*ParsePositiveDuration("1d12h", "x"), absl::Hours(36));
  EXPECT_EQ(*ParsePositiveDuration("90s", "x"), absl::Seconds(90));
  EXPECT_FALSE(ParsePositiveDuration("-5s", "x").ok());
  EXPECT_FALSE(ParsePositiveDuration("abc", "x").ok());
}

}  // namespace
}  // namespace weft::scheduler
