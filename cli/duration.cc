#include "cli/duration.h"

#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace weft::cli {
namespace {

absl::Status Malformed(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid duration \"", text, "\": ", why,
                   " (use e.g. 500ms, 10s, 1m30s, 2h, 3d; units: ms, s, m, h, d)"));
}

}  // namespace

absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text) {
  if (text.empty()) return Malformed(text, "empty");
  absl::Duration total = absl::ZeroDuration();
  size_t i = 0;
  while (i < text.size()) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      return Malformed(text, absl::StrCat("expected a number at \"", text.substr(i), "\""));
    }
    int64_t value = 0;
    while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      const int digit = text[i] - '0';
      if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) {
        return Malformed(text, "number too large");
      }
      value = value * 10 + digit;
      ++i;
    }
    const size_t unit_start = i;
    while (i < text.size() && absl::ascii_isalpha(static_cast<unsigned char>(text[i]))) ++i;
    const absl::string_view unit = text.substr(unit_start, i - unit_start);
    absl::Duration one;
    if (unit == "ms") {
      one = absl::Milliseconds(1);
    } else if (unit == "s") {
      one = absl::Seconds(1);
    } else if (unit == "m") {
      one = absl::Minutes(1);
    } else if (unit == "h") {
      one = absl::Hours(1);
    } else if (unit == "d") {
      one = absl::Hours(24);
    } else if (unit.empty()) {
      return Malformed(text, absl::StrCat("missing unit after ", value));
    } else {
      return Malformed(text, absl::StrCat("unknown unit \"", unit, "\""));
    }
    total += value * one;
    // Keep well inside what google.protobuf.Duration can carry (about 10,000 years).
    if (total > absl::Hours(24 * 365 * 1000)) return Malformed(text, "too long");
  }
  if (total == absl::ZeroDuration()) return Malformed(text, "must be greater than zero");
  return total;
}

std::string DurationToText(absl::Duration d) {
  if (d < absl::ZeroDuration()) return absl::StrCat("-", DurationToText(-d));
  const int64_t total_ms = absl::ToInt64Milliseconds(d);
  if (total_ms == 0) return "0s";
  struct Unit {
    const char* name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {
      {"d", 24 * 3600 * 1000LL}, {"h", 3600 * 1000LL}, {"m", 60 * 1000LL}, {"s", 1000}, {"ms", 1}};
  std::string out;
  int64_t rest = total_ms;
  for (const Unit& unit : kUnits) {
    if (rest >= unit.ms) {
      absl::StrAppend(&out, rest / unit.ms, unit.name);
      rest %= unit.ms;
    }
  }
  return out;
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

absl::Duration FromProtoDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

}  // namespace weft::cli
