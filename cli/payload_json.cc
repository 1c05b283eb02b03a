#include "cli/payload_json.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace weft::cli {
namespace {

using api::v1::Payload;
using api::v1::Payloads;

// The payload as a JSON value; see PayloadsToJson for the non-JSON fallback.
nlohmann::json PayloadValue(const Payload& payload) {
  auto encoding = payload.metadata().find("encoding");
  const bool declared_json =
      encoding == payload.metadata().end() || encoding->second == kJsonEncoding;
  if (declared_json) {
    nlohmann::json value =
        nlohmann::json::parse(payload.data(), /*cb=*/nullptr, /*allow_exceptions=*/false);
    if (!value.is_discarded()) return value;
  }
  nlohmann::json fallback = nlohmann::json::object();
  fallback["encoding"] = encoding == payload.metadata().end() ? "" : encoding->second;
  fallback["base64"] = absl::Base64Escape(payload.data());
  return fallback;
}

// Compact JSON text; invalid UTF-8 inside strings is replaced rather than thrown on.
std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

absl::StatusOr<Payload> JsonToPayload(absl::string_view json_text, absl::string_view flag) {
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(json_text.begin(), json_text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line 1, column 2: ...";
    // drop the bracketed id, which means nothing to a user.
    std::string why = e.what();
    const size_t close = why.find("] ");
    if (close != std::string::npos) why = why.substr(close + 2);
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " is not valid JSON: '", json_text, "': ", why,
                     " (strings need JSON quotes, e.g. --input '\"hello\"')"));
  }
  Payload payload;
  (*payload.mutable_metadata())["encoding"] = std::string(kJsonEncoding);
  payload.set_data(Dump(value));
  return payload;
}

absl::StatusOr<Payloads> JsonToPayloads(const std::vector<std::string>& json_texts,
                                        absl::string_view flag) {
  Payloads payloads;
  for (const std::string& text : json_texts) {
    absl::StatusOr<Payload> payload = JsonToPayload(text, flag);
    if (!payload.ok()) return payload.status();
    *payloads.add_payloads() = *std::move(payload);
  }
  return payloads;
}

std::string PayloadToJson(const Payload& payload) { return Dump(PayloadValue(payload)); }

std::string PayloadsToJson(const Payloads& payloads) {
  if (payloads.payloads_size() == 0) return "null";
  if (payloads.payloads_size() == 1) return PayloadToJson(payloads.payloads(0));
  nlohmann::json array = nlohmann::json::array();
  for (const Payload& payload : payloads.payloads()) array.push_back(PayloadValue(payload));
  return Dump(array);
}

std::string PayloadsSummary(const Payloads& payloads, size_t max_chars) {
  nlohmann::json array = nlohmann::json::array();
  for (const Payload& payload : payloads.payloads()) array.push_back(PayloadValue(payload));
  return Abbreviate(Dump(array), max_chars);
}

std::string Abbreviate(std::string text, size_t max_chars) {
  if (text.size() <= max_chars || max_chars <= 3) return text;
  size_t cut = max_chars - 3;
  // Back up to the first byte of a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  text += "...";
  return text;
}

}  // namespace weft::cli
