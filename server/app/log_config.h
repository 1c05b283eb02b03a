// weft-server's log settings from flags and YAML (--log-level, --log-format): checked when
// the configuration is parsed, so a bad value stops the start with a message that says what
// to write instead, and applied to telemetry::LogRegistry once before anything logs.
//
//   --log-level info                    every component at info
//   --log-level info,history=debug      history at debug, the rest at info
//   --log-format json|text              one JSON object a line (default) or human lines
//
// Thread safety: CheckLog* are pure; ApplyLogConfig changes process-wide settings and is
// meant for start-up (later changes go through AdminService SetLogLevel).
#ifndef WEFT_SERVER_APP_LOG_CONFIG_H_
#define WEFT_SERVER_APP_LOG_CONFIG_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace weft::app {

// OK if `spec` is a level, or a comma-separated list of a level and COMPONENT=LEVEL parts
// naming weft-server's components; INVALID_ARGUMENT saying which part is wrong otherwise.
absl::Status CheckLogLevelSpec(absl::string_view spec);
// OK for "json" or "text".
absl::Status CheckLogFormat(absl::string_view format);

// Applies checked settings (format first, then levels).
absl::Status ApplyLogConfig(absl::string_view level_spec, absl::string_view format);

}  // namespace weft::app

#endif  // WEFT_SERVER_APP_LOG_CONFIG_H_
