#include "telemetry/trace_context.h"

#include <random>

namespace weft::telemetry {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // the spec allows lower-case hex only
}

template <size_t N>
bool ParseHex(absl::string_view s, std::array<uint8_t, N>& out) {
  if (s.size() != 2 * N) return false;
  for (size_t i = 0; i < N; ++i) {
    int hi = HexDigit(s[2 * i]);
    int lo = HexDigit(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

template <size_t N>
std::string ToHex(const std::array<uint8_t, N>& bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * N);
  for (uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

template <size_t N>
bool AllZero(const std::array<uint8_t, N>& bytes) {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

template <size_t N>
void FillRandom(std::array<uint8_t, N>& out) {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  do {
    for (size_t i = 0; i < N; i += 8) {
      uint64_t v = gen();
      for (size_t j = 0; j < 8 && i + j < N; ++j) out[i + j] = static_cast<uint8_t>(v >> (8 * j));
    }
  } while (AllZero(out));
}

}  // namespace

std::optional<TraceParent> TraceParent::Parse(absl::string_view header) {
  // version "-" trace-id "-" parent-id "-" flags = 2 + 1 + 32 + 1 + 16 + 1 + 2
  if (header.size() < 55) return std::nullopt;
  std::array<uint8_t, 1> version{};
  if (!ParseHex(header.substr(0, 2), version) || version[0] == 0xff) return std::nullopt;
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
  if (version[0] == 0 && header.size() != 55) return std::nullopt;
  if (version[0] != 0 && header.size() > 55 && header[55] != '-') return std::nullopt;
  TraceParent tp;
  std::array<uint8_t, 1> flags{};
  if (!ParseHex(header.substr(3, 32), tp.trace_id_) ||
      !ParseHex(header.substr(36, 16), tp.span_id_) || !ParseHex(header.substr(53, 2), flags)) {
    return std::nullopt;
  }
  if (AllZero(tp.trace_id_) || AllZero(tp.span_id_)) return std::nullopt;
  tp.flags_ = flags[0];
  return tp;
}

TraceParent TraceParent::NewRoot() {
  TraceParent tp;
  FillRandom(tp.trace_id_);
  FillRandom(tp.span_id_);
  tp.flags_ = 0x01;
  return tp;
}

TraceParent TraceParent::NewChild() const {
  TraceParent tp = *this;
  FillRandom(tp.span_id_);
  return tp;
}

std::string TraceParent::ToString() const {
  std::array<uint8_t, 1> flags{flags_};
  return "00-" + ToHex(trace_id_) + "-" + ToHex(span_id_) + "-" + ToHex(flags);
}

std::string TraceParent::TraceIdHex() const { return ToHex(trace_id_); }

std::string TraceParent::SpanIdHex() const { return ToHex(span_id_); }

}  // namespace weft::telemetry
