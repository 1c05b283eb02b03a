// How workflow commands map to the history events they produce: naming both for error
// messages, and telling whether an event is the one a command produced. The replayer and the
// workflow runtime use these to match the commands a replayed task issues against history.
//
//   if (!CommandMatchesEvent(command, event)) ... DescribeEvent(event) ...
//
// Thread safety: pure functions.
#ifndef WEFT_SDK_SRC_COMMAND_EVENTS_H_
#define WEFT_SDK_SRC_COMMAND_EVENTS_H_

#include <cstdint>
#include <string>

#include "weft/api/v1/command.pb.h"
#include "weft/api/v1/history.pb.h"

namespace weft::detail {

// "ActivityTaskScheduled(activity_id=1, type=Compose)" and the like, for error messages.
std::string DescribeEvent(const api::v1::HistoryEvent& event);
std::string DescribeCommand(const api::v1::Command& command);
// Whether `event` is what `command` produces (type and identity).
bool CommandMatchesEvent(const api::v1::Command& command, const api::v1::HistoryEvent& event);
// Whether `event` records a command; sets *completed_id to its workflow task completed id.
bool IsCommandEvent(const api::v1::HistoryEvent& event, int64_t* completed_id);

}  // namespace weft::detail

#endif  // WEFT_SDK_SRC_COMMAND_EVENTS_H_
