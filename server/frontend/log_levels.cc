#include "server/frontend/log_levels.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/logging.h"
#include "telemetry/log.h"

namespace weft::frontend {
namespace {

constexpr char kValidLevels[] = "trace, debug, info, warn, error or off";

bool KnownComponent(absl::string_view component) {
  for (const char* c : logs::kServerLogComponents) {
    if (component == c) return true;
  }
  return false;
}

}  // namespace

void FillLogLevels(std::string* default_level,
                   google::protobuf::RepeatedPtrField<api::v1::ComponentLogLevel>* levels) {
  telemetry::LogLevel fallback = telemetry::LogRegistry::DefaultLevel();
  *default_level = telemetry::LogLevelName(fallback);
  std::map<std::string, telemetry::LogLevel> in_force;
  for (const char* c : logs::kServerLogComponents) in_force[c] = fallback;
  for (const auto& [c, level] : telemetry::LogRegistry::ComponentLevels()) in_force[c] = level;
  levels->Clear();
  for (const auto& [c, level] : in_force) {
    api::v1::ComponentLogLevel* out = levels->Add();
    out->set_component(c);
    out->set_level(telemetry::LogLevelName(level));
  }
}

absl::Status ApplyLogLevel(absl::string_view component, absl::string_view level,
                           absl::string_view who) {
  if (level.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("level is required: one of ", kValidLevels));
  }
  std::optional<telemetry::LogLevel> parsed = telemetry::ParseLogLevel(level);
  if (!parsed) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown log level \"", level, "\": use ", kValidLevels));
  }
  if (!component.empty() && !KnownComponent(component)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown component \"", component, "\": use one of ",
                     absl::StrJoin(logs::kServerLogComponents, ", "), " (or none for all)"));
  }
  if (component.empty()) {
    telemetry::LogRegistry::SetDefaultLevel(*parsed);
  } else {
    telemetry::LogRegistry::SetLevel(component, *parsed);
  }
  logs::App().Info("log level changed",
                   {{"log_component", component.empty() ? absl::string_view("*") : component},
                    {"level", telemetry::LogLevelName(*parsed)},
                    {"subject", who}});
  return absl::OkStatus();
}

}  // namespace weft::frontend
