// Parsing and printing of the durations the `weft` command line accepts.
//
// Durations are written Go-style: a sequence of <integer><unit> pairs such as "10s",
// "1m30s", "500ms", "2h" or "3d" (days are handy for namespace retention). Units: ms, s, m,
// h, d. Fractions, signs, spaces and a missing unit are rejected, so that a typo never turns
// into a surprising timeout.
//
// Thread safety: pure functions, safe to call from any thread.
#ifndef WEFT_CLI_DURATION_H_
#define WEFT_CLI_DURATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"

namespace weft::cli {

// Parses `text` (e.g. "1m30s"). Returns INVALID_ARGUMENT with a message naming the text and
// the accepted form when it is malformed, zero, or overflows.
absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text);

// Formats `d` in the same syntax ParseDuration accepts, largest units first: "1h30m",
// "3d", "500ms". Zero prints as "0s". Sub-millisecond remainders are dropped.
std::string DurationToText(absl::Duration d);

// Converts between absl::Duration and google.protobuf.Duration.
google::protobuf::Duration ToProtoDuration(absl::Duration d);
absl::Duration FromProtoDuration(const google::protobuf::Duration& d);

}  // namespace weft::cli

#endif  // WEFT_CLI_DURATION_H_
