#include "weft/payload.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace weft::detail {
namespace {

std::string Demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
  return status == 0 && demangled ? std::string(demangled.get()) : std::string(name);
}

}  // namespace

std::string PayloadEncoding(const api::v1::Payload& payload) {
  auto it = payload.metadata().find("encoding");
  return it == payload.metadata().end() ? std::string() : it->second;
}

api::v1::Payload MakePayload(std::string_view encoding, std::string data) {
  api::v1::Payload p;
  (*p.mutable_metadata())["encoding"] = std::string(encoding);
  p.set_data(std::move(data));
  return p;
}

nlohmann::json ParseJsonPayload(const api::v1::Payload& payload) {
  std::string encoding = PayloadEncoding(payload);
  // No metadata and no data: an absent value (e.g. the result of a Workflow<void>).
  if (encoding.empty() && payload.data().empty()) return nullptr;
  if (!encoding.empty() && encoding != kEncodingJson) {
    throw PayloadError("cannot decode a \"" + encoding + "\" payload as JSON");
  }
  try {
    return nlohmann::json::parse(payload.data());
  } catch (const nlohmann::json::exception& e) {
    throw PayloadError("payload is not valid JSON: " + std::string(e.what()));
  }
}

void ThrowDecodeError(const api::v1::Payload& payload, const char* type_name,
                      const std::string& why) {
  std::string encoding = PayloadEncoding(payload);
  std::string data = payload.data().substr(0, 200);
  throw PayloadError("cannot decode " + (encoding.empty() ? "an unencoded" : encoding) +
                     " payload " + data + " as " + Demangle(type_name) + ": " + why);
}

}  // namespace weft::detail
