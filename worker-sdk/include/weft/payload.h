// Encoding and decoding of values into api::v1::Payload.
//
// The default codec is JSON (metadata["encoding"] = "json/plain", data = the JSON text), for
// every type nlohmann::json can convert (built-ins, STL containers, and any type with
// to_json/from_json). Two alternatives:
//   weft::Bytes            raw bytes, "binary/plain"
//   std::optional<T>       JSON null when empty, otherwise as T
//   protobuf messages      "binary/protobuf", metadata["messageType"] = the full type name
//
//   api::v1::Payload p = weft::ToPayload(std::string("x"));     // data = "\"x\""
//   auto s = weft::FromPayload<std::string>(p);                  // throws weft::PayloadError
//   absl::StatusOr<int> n = weft::DecodePayload<int>(p);         // INVALID_ARGUMENT instead
//
// Thread safety: free functions without shared state.
#ifndef WEFT_PAYLOAD_H_
#define WEFT_PAYLOAD_H_

#include <google/protobuf/message.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "weft/api/v1/common.pb.h"
#include "weft/errors.h"

namespace weft {

inline constexpr std::string_view kEncodingJson = "json/plain";
inline constexpr std::string_view kEncodingBinary = "binary/plain";
inline constexpr std::string_view kEncodingProtobuf = "binary/protobuf";

// Raw bytes that bypass JSON.
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};

namespace detail {
std::string PayloadEncoding(const api::v1::Payload& payload);
api::v1::Payload MakePayload(std::string_view encoding, std::string data);
// Parses a json/plain payload; an empty payload (no data) is JSON null. Throws PayloadError.
nlohmann::json ParseJsonPayload(const api::v1::Payload& payload);
[[noreturn]] void ThrowDecodeError(const api::v1::Payload& payload, const char* type_name,
                                   const std::string& why);
template <typename T>
inline constexpr bool kIsProto = std::is_base_of_v<google::protobuf::Message, T>;
template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
}  // namespace detail

// Encodes `value`. Throws PayloadError if JSON conversion fails (e.g. invalid UTF-8).
template <typename T>
api::v1::Payload ToPayload(const T& value) {
  if constexpr (std::is_same_v<T, api::v1::Payload>) {
    return value;
  } else if constexpr (detail::IsOptional<T>::value) {
    return value ? ToPayload(*value) : detail::MakePayload(kEncodingJson, "null");
  } else if constexpr (std::is_same_v<T, Bytes>) {
    return detail::MakePayload(kEncodingBinary, value.data);
  } else if constexpr (detail::kIsProto<T>) {
    api::v1::Payload p = detail::MakePayload(kEncodingProtobuf, value.SerializeAsString());
    (*p.mutable_metadata())["messageType"] = std::string(value.GetDescriptor()->full_name());
    return p;
  } else {
    try {
      return detail::MakePayload(kEncodingJson, nlohmann::json(value).dump());
    } catch (const nlohmann::json::exception& e) {
      throw PayloadError(std::string("cannot encode value as JSON: ") + e.what());
    }
  }
}

// Decodes `payload` as T. Throws PayloadError naming the encoding, the target type and the
// reason when the payload does not hold a T.
template <typename T>
T FromPayload(const api::v1::Payload& payload) {
  if constexpr (std::is_same_v<T, api::v1::Payload>) {
    return payload;
  } else if constexpr (detail::IsOptional<T>::value) {
    std::string encoding = detail::PayloadEncoding(payload);
    if ((encoding.empty() || encoding == kEncodingJson) &&
        detail::ParseJsonPayload(payload).is_null()) {
      return std::nullopt;
    }
    return FromPayload<typename T::value_type>(payload);
  } else if constexpr (std::is_same_v<T, Bytes>) {
    return Bytes{payload.data()};
  } else if constexpr (detail::kIsProto<T>) {
    T message;
    if (detail::PayloadEncoding(payload) != kEncodingProtobuf ||
        !message.ParseFromString(payload.data())) {
      detail::ThrowDecodeError(payload, typeid(T).name(), "not a serialized protobuf message");
    }
    return message;
  } else {
    nlohmann::json j = detail::ParseJsonPayload(payload);
    try {
      return j.template get<T>();
    } catch (const nlohmann::json::exception& e) {
      detail::ThrowDecodeError(payload, typeid(T).name(), e.what());
    }
  }
}

// Like FromPayload, but reports a decode failure as INVALID_ARGUMENT.
template <typename T>
absl::StatusOr<T> DecodePayload(const api::v1::Payload& payload) {
  try {
    return FromPayload<T>(payload);
  } catch (const PayloadError& e) {
    return absl::InvalidArgumentError(e.what());
  }
}

// One payload per argument, in order.
template <typename... Args>
api::v1::Payloads ToPayloads(const Args&... args) {
  api::v1::Payloads out;
  (void)std::initializer_list<int>{(*out.add_payloads() = ToPayload(args), 0)...};
  return out;
}

// Decodes the first payload of `payloads`; an empty list decodes as JSON null (so
// nlohmann::json and std::optional<T> accept it).
template <typename T>
T FromFirstPayload(const api::v1::Payloads& payloads) {
  if (payloads.payloads_size() == 0) return FromPayload<T>(api::v1::Payload());
  return FromPayload<T>(payloads.payloads(0));
}

namespace detail {
// Argument `index` of a call decoded as T; a missing argument decodes from JSON null. A
// decode failure throws PayloadError naming the argument.
template <typename T>
T DecodeArgument(const api::v1::Payloads& input, size_t index) {
  try {
    if (static_cast<int>(index) >= input.payloads_size()) {
      return FromPayload<T>(api::v1::Payload());
    }
    return FromPayload<T>(input.payloads(static_cast<int>(index)));
  } catch (const PayloadError& e) {
    throw PayloadError("argument " + std::to_string(index + 1) + ": " + e.what());
  }
}

template <typename Tuple, size_t... I>
Tuple DecodeArguments(const api::v1::Payloads& input, std::index_sequence<I...>) {
  return Tuple(DecodeArgument<std::tuple_element_t<I, Tuple>>(input, I)...);
}
}  // namespace detail

}  // namespace weft

#endif  // WEFT_PAYLOAD_H_
