// Conversions between std::chrono and google.protobuf Duration/Timestamp. Internal to the SDK.
//
// Thread safety: stateless functions.
#ifndef WEFT_SDK_SRC_PROTO_TIME_H_
#define WEFT_SDK_SRC_PROTO_TIME_H_

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include <chrono>

namespace weft::detail {

inline google::protobuf::Duration ToProtoDuration(std::chrono::nanoseconds d) {
  google::protobuf::Duration out;
  out.set_seconds(std::chrono::duration_cast<std::chrono::seconds>(d).count());
  out.set_nanos(static_cast<int32_t>((d % std::chrono::seconds(1)).count()));
  return out;
}

inline std::chrono::nanoseconds FromProtoDuration(const google::protobuf::Duration& d) {
  return std::chrono::seconds(d.seconds()) + std::chrono::nanoseconds(d.nanos());
}

inline std::chrono::system_clock::time_point FromProtoTimestamp(
    const google::protobuf::Timestamp& t) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos())));
}

inline google::protobuf::Timestamp ToProtoTimestamp(std::chrono::system_clock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch());
  google::protobuf::Timestamp out;
  out.set_seconds(std::chrono::duration_cast<std::chrono::seconds>(ns).count());
  out.set_nanos(static_cast<int32_t>((ns % std::chrono::seconds(1)).count()));
  return out;
}

}  // namespace weft::detail

#endif  // WEFT_SDK_SRC_PROTO_TIME_H_
