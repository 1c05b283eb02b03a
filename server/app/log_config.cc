#include "server/app/log_config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/common/logging.h"
#include "telemetry/log.h"

namespace weft::app {
namespace {

constexpr char kLevels[] = "trace, debug, info, warn, error or off";

}  // namespace

absl::Status CheckLogLevelSpec(absl::string_view spec) {
  bool any = false;
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    any = true;
    size_t eq = part.find('=');
    if (eq == absl::string_view::npos) {
      if (!telemetry::ParseLogLevel(part)) {
        return absl::InvalidArgumentError(absl::StrCat("log-level: unknown level \"", part,
                                                       "\": use ", kLevels,
                                                       " (e.g. info or info,history=debug)"));
      }
      continue;
    }
    absl::string_view component = absl::StripAsciiWhitespace(part.substr(0, eq));
    absl::string_view level = absl::StripAsciiWhitespace(part.substr(eq + 1));
    bool known = false;
    for (const char* c : logs::kServerLogComponents) known = known || component == c;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("log-level: unknown component \"", component, "\" in \"", part, "\": use ",
                       absl::StrJoin(logs::kServerLogComponents, ", ")));
    }
    if (!telemetry::ParseLogLevel(level)) {
      return absl::InvalidArgumentError(absl::StrCat("log-level: unknown level \"", level,
                                                     "\" in \"", part, "\": use ", kLevels));
    }
  }
  if (!any) {
    return absl::InvalidArgumentError(
        absl::StrCat("log-level is empty: use ", kLevels, " (e.g. info or info,history=debug)"));
  }
  return absl::OkStatus();
}

absl::Status CheckLogFormat(absl::string_view format) {
  if (format == "json" || format == "text") return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("log-format: unknown format \"", format, "\": use json or text"));
}

absl::Status ApplyLogConfig(absl::string_view level_spec, absl::string_view format) {
  if (auto s = CheckLogFormat(format); !s.ok()) return s;
  if (auto s = CheckLogLevelSpec(level_spec); !s.ok()) return s;
  telemetry::LogRegistry::SetFormat(format == "text" ? telemetry::LogFormat::kText
                                                     : telemetry::LogFormat::kJson);
  if (!telemetry::LogRegistry::Configure(level_spec)) {
    return absl::InvalidArgumentError(absl::StrCat("log-level: cannot apply \"", level_spec, "\""));
  }
  return absl::OkStatus();
}

}  // namespace weft::app
