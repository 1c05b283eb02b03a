// Conversion between JSON text on the command line and weft Payloads.
//
// weft's default payload encoding is JSON: metadata["encoding"] = "json/plain" and data is
// the UTF-8 JSON text (docs/architecture/worker-protocol.md). The CLI validates JSON before
// any call so that a typo in --input fails fast with a clear message.
//
// Thread safety: pure functions, safe to call from any thread.
#ifndef WEFT_CLI_PAYLOAD_JSON_H_
#define WEFT_CLI_PAYLOAD_JSON_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "weft/api/v1/common.pb.h"

namespace weft::cli {

inline constexpr absl::string_view kJsonEncoding = "json/plain";

// Parses `json_text` and returns a Payload whose data is the compact form of it. Returns
// INVALID_ARGUMENT naming `flag` and the parser's complaint when the text is not JSON.
absl::StatusOr<api::v1::Payload> JsonToPayload(absl::string_view json_text,
                                               absl::string_view flag = "--input");

// One Payload per element of `json_texts`, in order. Fails on the first invalid one.
absl::StatusOr<api::v1::Payloads> JsonToPayloads(const std::vector<std::string>& json_texts,
                                                 absl::string_view flag = "--input");

// The printable JSON of a result: zero payloads print as `null`, one payload as its value,
// several as a JSON array of their values. A payload whose data is not JSON (another
// encoding) prints as {"encoding": E, "base64": B} so that the output is always JSON.
std::string PayloadsToJson(const api::v1::Payloads& payloads);

// The JSON value of one payload, as above.
std::string PayloadToJson(const api::v1::Payload& payload);

// `text` cut to at most `max_chars` bytes, ending in "..." when cut; never splits a UTF-8
// sequence.
std::string Abbreviate(std::string text, size_t max_chars);

// Like PayloadsToJson but arguments always print as an array ("[1,\"x\"]") and the text is
// cut to at most `max_chars` characters with "..." for one-line summaries.
std::string PayloadsSummary(const api::v1::Payloads& payloads, size_t max_chars = 80);

}  // namespace weft::cli

#endif  // WEFT_CLI_PAYLOAD_JSON_H_
