// One-line, human-readable renderings of history events and failures for
// `weft workflow history` and `weft workflow describe`.
//
// Thread safety: pure functions, safe to call from any thread.
#ifndef WEFT_CLI_EVENT_SUMMARY_H_
#define WEFT_CLI_EVENT_SUMMARY_H_

#include <string>

#include "google/protobuf/timestamp.pb.h"
#include "weft/api/v1/common.pb.h"
#include "weft/api/v1/history.pb.h"

namespace weft::cli {

// "2024-05-01T12:00:00.250Z" (UTC, milliseconds), or "-" when `ts` is unset (zero).
std::string FormatTimestamp(const google::protobuf::Timestamp& ts);

// `"card declined" type=CardError non_retryable; cause: "timeout"`: the message quoted, the
// type and flags when set, then the chain of causes.
std::string FailureSummary(const api::v1::Failure& failure);

// The key attributes of `event` as space-separated key=value pairs, e.g.
// `activity_id=1 type=Charge task_queue=payments input=[42]` for ActivityTaskScheduled.
// Payloads are shown as JSON cut to 80 characters. Empty for events without attributes.
std::string EventSummary(const api::v1::HistoryEvent& event);

// The full line printed by `weft workflow history`: id, time, type and summary in aligned
// columns, without a trailing newline.
std::string FormatEventLine(const api::v1::HistoryEvent& event);

}  // namespace weft::cli

#endif  // WEFT_CLI_EVENT_SUMMARY_H_
