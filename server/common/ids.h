// Identifiers: random UUIDs (v4) for run ids, namespace ids and request ids.
//
// Thread safety: NewUuid() is thread-safe.
#ifndef WEFT_SERVER_COMMON_IDS_H_
#define WEFT_SERVER_COMMON_IDS_H_

#include <string>

namespace weft {

std::string NewUuid();

}  // namespace weft

#endif  // WEFT_SERVER_COMMON_IDS_H_
