#include "cli/uuid.h"

#include <random>

#include "absl/strings/str_format.h"

namespace weft::cli {

std::string NewUuidV4() {
  std::random_device device;
  auto next64 = [&device] {
    return (static_cast<uint64_t>(device()) << 32) | static_cast<uint64_t>(device());
  };
  const uint64_t high = next64();
  return UuidV4FromBits(high, next64());
}

std::string UuidV4FromBits(uint64_t high, uint64_t low) {
  high = (high & ~0xF000ULL) | 0x4000ULL;                          // version 4
  low = (low & ~(0xC000000000000000ULL)) | 0x8000000000000000ULL;  // variant 10xx
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", high >> 32, (high >> 16) & 0xFFFF,
                         high & 0xFFFF, low >> 48, low & 0xFFFFFFFFFFFFULL);
}

}  // namespace weft::cli
