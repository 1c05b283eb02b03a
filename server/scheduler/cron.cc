#include "server/scheduler/cron.h"

#include <cctype>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace weft::scheduler {
namespace {

struct FieldDef {
  const char* name;
  int min;
  int max;
  const char* const* names;  // index 0 = the value `names_base`
  int names_base;
  int names_count;
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// Day-of-week accepts 0-7 (both 0 and 7 are Sunday).
constexpr FieldDef kFields[] = {
    {"minute", 0, 59, nullptr, 0, 0},       {"hour", 0, 23, nullptr, 0, 0},
    {"day-of-month", 1, 31, nullptr, 0, 0}, {"month", 1, 12, kMonthNames, 1, 12},
    {"day-of-week", 0, 7, kDayNames, 0, 7},
};

class FieldParser {
 public:
  FieldParser(const std::string& expr, const FieldDef& def) : expr_(expr), def_(def) {}

  absl::Status Error(const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat("cron '", expr_, "': ", what));
  }

  absl::StatusOr<int> Value(absl::string_view token) const {
    int v = 0;
    if (!token.empty() && std::isdigit(static_cast<unsigned char>(token[0]))) {
      if (!absl::SimpleAtoi(token, &v)) {
        return Error(absl::StrCat(def_.name, " '", token, "' is not a number"));
      }
    } else {
      std::string upper = absl::AsciiStrToUpper(token);
      bool found = false;
      for (int i = 0; i < def_.names_count; ++i) {
        if (upper == def_.names[i]) {
          v = def_.names_base + i;
          found = true;
          break;
        }
      }
      if (!found) {
        return Error(absl::StrCat(def_.name, " '", token, "' is not a number",
                                  def_.names_count > 0 ? " or a name" : "",
                                  def_.names == kMonthNames ? " (JAN..DEC)"
                                  : def_.names == kDayNames ? " (SUN..SAT)"
                                                            : ""));
      }
    }
    if (v < def_.min || v > def_.max) {
      return Error(absl::StrCat(def_.name, " ", v, " is out of range ", def_.min, "-", def_.max));
    }
    return v;
  }

  // Sets the bits of `field` (one comma-separated list) in `bits`.
  absl::Status Parse(absl::string_view field, uint64_t* bits) const {
    for (absl::string_view part : absl::StrSplit(field, ',')) {
      if (part.empty()) return Error(absl::StrCat("empty item in ", def_.name, " '", field, "'"));
      absl::string_view base = part;
      int step = 1;
      bool has_step = false;
      if (auto slash = part.find('/'); slash != absl::string_view::npos) {
        base = part.substr(0, slash);
        absl::string_view s = part.substr(slash + 1);
        if (!absl::SimpleAtoi(s, &step) || step <= 0) {
          return Error(
              absl::StrCat(def_.name, " step '", s, "' in '", part, "' must be a positive number"));
        }
        has_step = true;
      }
      int lo = 0;
      int hi = 0;
      if (base == "*") {
        lo = def_.min;
        hi = def_.max;
      } else if (auto dash = base.find('-'); dash != absl::string_view::npos) {
        auto a = Value(base.substr(0, dash));
        if (!a.ok()) return a.status();
        auto b = Value(base.substr(dash + 1));
        if (!b.ok()) return b.status();
        lo = *a;
        hi = *b;
        if (lo > hi) {
          return Error(
              absl::StrCat(def_.name, " range ", base, " is backwards (", lo, " > ", hi, ")"));
        }
      } else {
        auto a = Value(base);
        if (!a.ok()) return a.status();
        lo = *a;
        hi = has_step ? def_.max : *a;  // "5/15" means 5, 20, 35, ...
      }
      for (int v = lo; v <= hi; v += step) *bits |= uint64_t{1} << v;
    }
    return absl::OkStatus();
  }

 private:
  const std::string& expr_;
  const FieldDef& def_;
};

int WeekdayIndex(absl::CivilDay d) {
  // absl: Monday = 0 ... Sunday = 6; cron: Sunday = 0.
  return (static_cast<int>(absl::GetWeekday(d)) + 1) % 7;
}

}  // namespace

absl::StatusOr<absl::Duration> ParsePositiveDuration(const std::string& text,
                                                     const std::string& what) {
  std::string s(absl::StripAsciiWhitespace(text));
  absl::Duration days = absl::ZeroDuration();
  // absl::ParseDuration has no days; accept a leading "<n>d".
  if (auto d = s.find('d'); d != std::string::npos && d > 0) {
    int64_t n = 0;
    if (absl::SimpleAtoi(s.substr(0, d), &n)) {
      days = absl::Hours(24 * n);
      s = s.substr(d + 1);
    }
  }
  absl::Duration rest = absl::ZeroDuration();
  if (!s.empty() && !absl::ParseDuration(s, &rest)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", text, "' is not a duration (examples: 90s, 15m, 1h30m, 2d)"));
  }
  absl::Duration total = days + rest;
  if (total <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " '", text, "' must be positive"));
  }
  return total;
}

absl::StatusOr<CronExpression> CronExpression::Parse(const std::string& text) {
  CronExpression c;
  c.text_ = text;
  std::string expr(absl::StripAsciiWhitespace(text));
  if (expr.empty()) return absl::InvalidArgumentError("cron expression is empty");
  if (expr[0] == '@') {
    std::string lower = absl::AsciiStrToLower(expr);
    static const std::pair<const char*, const char*> kMacros[] = {
        {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
        {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"},
    };
    for (const auto& [name, fields] : kMacros) {
      if (lower == name) {
        auto parsed = Parse(fields);
        if (!parsed.ok()) return parsed.status();
        parsed->text_ = text;
        return parsed;
      }
    }
    if (lower.rfind("@every", 0) == 0) {
      std::string arg(absl::StripAsciiWhitespace(expr.substr(6)));
      if (arg.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("cron '", text, "': @every needs a duration, e.g. '@every 30s'"));
      }
      auto d = ParsePositiveDuration(arg, absl::StrCat("cron '", text, "': duration"));
      if (!d.ok()) return d.status();
      c.every_ = *d;
      return c;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("cron '", text,
                     "': unknown shorthand; use @yearly, @monthly, @weekly, @daily, @hourly or "
                     "'@every <duration>'"));
  }
  std::vector<std::string> fields = absl::StrSplit(expr, ' ', absl::SkipWhitespace());
  if (fields.size() != 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cron '", text, "': expected 5 fields (minute hour day-of-month month day-of-week), got ",
        fields.size()));
  }
  uint64_t bits[5] = {0, 0, 0, 0, 0};
  for (int i = 0; i < 5; ++i) {
    FieldParser p(text, kFields[i]);
    if (auto s = p.Parse(fields[i], &bits[i]); !s.ok()) return s;
  }
  c.minutes_ = std::bitset<60>(bits[0]);
  c.hours_ = std::bitset<24>(bits[1]);
  c.days_of_month_ = std::bitset<32>(bits[2]);
  c.months_ = std::bitset<13>(bits[3]);
  uint64_t dow = bits[4];
  if (dow & (uint64_t{1} << 7)) dow = (dow | 1) & ~(uint64_t{1} << 7);  // 7 is Sunday
  c.days_of_week_ = std::bitset<7>(dow);
  c.dom_star_ = fields[2][0] == '*';
  c.dow_star_ = fields[4][0] == '*';
  return c;
}

absl::Time CronExpression::Next(absl::Time t) const {
  if (every_ > absl::ZeroDuration()) {
    const int64_t step = absl::ToInt64Nanoseconds(every_);
    const int64_t now = absl::ToUnixNanos(t);
    int64_t k = now / step;
    if (now % step != 0 && now < 0) --k;  // floor division
    return absl::FromUnixNanos((k + 1) * step);
  }
  const absl::TimeZone utc = absl::UTCTimeZone();
  absl::CivilMinute m = absl::ToCivilMinute(t, utc) + 1;
  const absl::CivilMinute limit = m + 60 * 24 * (365 * 8 + 2);
  while (m < limit) {
    if (!months_[m.month()]) {
      m = absl::CivilMinute(absl::CivilMonth(m) + 1);
      continue;
    }
    const bool dom = days_of_month_[m.day()];
    const bool dow = days_of_week_[WeekdayIndex(absl::CivilDay(m))];
    const bool day_ok = (dom_star_ || dow_star_) ? (dom && dow) : (dom || dow);
    if (!day_ok) {
      m = absl::CivilMinute(absl::CivilDay(m) + 1);
      continue;
    }
    if (!hours_[m.hour()]) {
      m = absl::CivilMinute(absl::CivilHour(m) + 1);
      continue;
    }
    if (!minutes_[m.minute()]) {
      m += 1;
      continue;
    }
    return absl::FromCivil(m, utc);
  }
  return absl::InfiniteFuture();
}

}  // namespace weft::scheduler
