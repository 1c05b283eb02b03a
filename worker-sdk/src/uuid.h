// Random UUIDs (version 4) and the default worker/client identity. Internal to the SDK.
//
// Thread safety: thread-safe (a thread-local generator seeded from std::random_device).
#ifndef WEFT_SDK_SRC_UUID_H_
#define WEFT_SDK_SRC_UUID_H_

#include <string>

namespace weft::detail {

std::string RandomUuid();
// "<pid>@<hostname>".
std::string DefaultIdentity();

}  // namespace weft::detail

#endif  // WEFT_SDK_SRC_UUID_H_
