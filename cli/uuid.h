// Random (version 4) UUIDs for workflow ids and request ids.
//
// Thread safety: NewUuidV4 is safe to call from any thread (each call seeds its own
// generator from std::random_device); UuidV4FromBits is pure.
#ifndef WEFT_CLI_UUID_H_
#define WEFT_CLI_UUID_H_

#include <cstdint>
#include <string>

namespace weft::cli {

// A fresh random UUID in the canonical lower-case 8-4-4-4-12 form.
std::string NewUuidV4();

// The UUID made of 128 random bits, with the version (4) and variant (10xx) bits forced.
std::string UuidV4FromBits(uint64_t high, uint64_t low);

}  // namespace weft::cli

#endif  // WEFT_CLI_UUID_H_
