#include "storage/key_codec.h"

namespace weft::storage {

KeyBuilder& KeyBuilder::U32(uint32_t v) {
  for (int i = 3; i >= 0; --i) key_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return *this;
}

KeyBuilder& KeyBuilder::U64(uint64_t v) {
  for (int i = 7; i >= 0; --i) key_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return *this;
}

KeyBuilder& KeyBuilder::I64(int64_t v) {
  return U64(static_cast<uint64_t>(v) ^ (uint64_t{1} << 63));
}

KeyBuilder& KeyBuilder::Str(std::string_view s) {
  for (char c : s) {
    key_.push_back(c);
    if (c == '\0') key_.push_back('\xff');
  }
  key_.push_back('\0');
  key_.push_back('\x01');
  return *this;
}

std::optional<uint32_t> KeyReader::U32() {
  if (rest_.size() < 4) return std::nullopt;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(rest_[i]);
  rest_.remove_prefix(4);
  return v;
}

std::optional<uint64_t> KeyReader::U64() {
  if (rest_.size() < 8) return std::nullopt;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(rest_[i]);
  rest_.remove_prefix(8);
  return v;
}

std::optional<int64_t> KeyReader::I64() {
  auto v = U64();
  if (!v) return std::nullopt;
  return static_cast<int64_t>(*v ^ (uint64_t{1} << 63));
}

std::optional<std::string> KeyReader::Str() {
  std::string out;
  size_t i = 0;
  while (i + 1 < rest_.size() || (i < rest_.size() && rest_[i] != '\0')) {
    char c = rest_[i];
    if (c != '\0') {
      out.push_back(c);
      ++i;
      continue;
    }
    char next = rest_[i + 1];
    if (next == '\x01') {
      rest_.remove_prefix(i + 2);
      return out;
    }
    if (next != '\xff') return std::nullopt;
    out.push_back('\0');
    i += 2;
  }
  return std::nullopt;
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    unsigned char last = static_cast<unsigned char>(s.back());
    if (last != 0xff) {
      s.back() = static_cast<char>(last + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

}  // namespace weft::storage
