// The AdminService log-level RPCs' logic over telemetry::LogRegistry: what GetLogLevels
// reports and how SetLogLevel checks and applies a change. Kept apart from the handler so the
// rules (known components, level names, messages) are in one place.
//
// Thread safety: thread-safe (LogRegistry is). No state of its own.
#ifndef WEFT_SERVER_FRONTEND_LOG_LEVELS_H_
#define WEFT_SERVER_FRONTEND_LOG_LEVELS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "weft/api/v1/admin_service.pb.h"

namespace weft::frontend {

// The default level and, for every server component (logs::kServerLogComponents, plus any
// other component given a level of its own), the level in force, sorted by component.
void FillLogLevels(std::string* default_level,
                   google::protobuf::RepeatedPtrField<api::v1::ComponentLogLevel>* levels);

// Sets `component`'s level, or with an empty component the default level (which also clears
// every component's own level). INVALID_ARGUMENT names the valid levels for an unknown
// level and the components for an unknown component. `who` is logged with the change.
absl::Status ApplyLogLevel(absl::string_view component, absl::string_view level,
                           absl::string_view who);

}  // namespace weft::frontend

#endif  // WEFT_SERVER_FRONTEND_LOG_LEVELS_H_
