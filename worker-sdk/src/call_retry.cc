#include "call_retry.h"

#include <algorithm>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"

namespace weft::detail {
namespace {

constexpr absl::Duration kFirstWait = absl::Milliseconds(100);
constexpr absl::Duration kMaxWait = absl::Seconds(2);

}  // namespace

absl::Duration RetryAfter(const grpc::ClientContext& ctx, absl::Duration fallback) {
  const auto& md = ctx.GetServerTrailingMetadata();
  auto it = md.find("x-weft-retry-after-ms");
  int64_t ms = 0;
  if (it == md.end() ||
      !absl::SimpleAtoi(absl::string_view(it->second.data(), it->second.size()), &ms) || ms < 0) {
    return fallback;
  }
  // Never trust a server to park us for long.
  return std::min(absl::Milliseconds(ms), absl::Seconds(30));
}

grpc::Status CallWithRateLimitRetry(const std::function<grpc::Status(grpc::ClientContext*)>& call,
                                    absl::Duration budget) {
  const absl::Time give_up = absl::Now() + budget;
  absl::Duration backoff = kFirstWait;
  for (;;) {
    grpc::ClientContext ctx;
    grpc::Status status = call(&ctx);
    if (status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) return status;
    absl::Duration wait = RetryAfter(ctx, backoff);
    if (absl::Now() + wait > give_up) return status;
    absl::SleepFor(wait);
    backoff = std::min(backoff * 2, kMaxWait);
  }
}

}  // namespace weft::detail
