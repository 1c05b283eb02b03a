#include "weft/search_attributes.h"

#include <ctime>

#include "nlohmann/json.hpp"

namespace weft {

SearchAttributes& SearchAttributes::Set(const std::string& name, std::string json) {
  api::v1::Payload& p = (*proto_.mutable_indexed_fields())[name];
  (*p.mutable_metadata())["encoding"] = "json/plain";
  p.set_data(std::move(json));
  return *this;
}

SearchAttributes& SearchAttributes::Keyword(const std::string& name, const std::string& value) {
  return Set(name, nlohmann::json(value).dump());
}

SearchAttributes& SearchAttributes::Text(const std::string& name, const std::string& value) {
  return Set(name, nlohmann::json(value).dump());
}

SearchAttributes& SearchAttributes::Int(const std::string& name, int64_t value) {
  return Set(name, nlohmann::json(value).dump());
}

SearchAttributes& SearchAttributes::Double(const std::string& name, double value) {
  return Set(name, nlohmann::json(value).dump());
}

SearchAttributes& SearchAttributes::Bool(const std::string& name, bool value) {
  return Set(name, value ? "true" : "false");
}

SearchAttributes& SearchAttributes::Datetime(const std::string& name,
                                             std::chrono::system_clock::time_point value) {
  using namespace std::chrono;
  auto since = value.time_since_epoch();
  auto secs = floor<seconds>(since);
  auto nanos = duration_cast<nanoseconds>(since - secs).count();
  std::time_t t = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string text(buf, n);
  if (nanos != 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos));
    text += frac;
  }
  text += "Z";
  return Set(name, nlohmann::json(text).dump());
}

SearchAttributes& SearchAttributes::KeywordList(const std::string& name,
                                                const std::vector<std::string>& values) {
  return Set(name, nlohmann::json(values).dump());
}

SearchAttributes& SearchAttributes::Unset(const std::string& name) { return Set(name, "null"); }

}  // namespace weft
