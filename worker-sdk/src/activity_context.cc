#include <algorithm>

#include "weft/activity.h"

namespace weft {
namespace {
constexpr auto kDefaultThrottle = std::chrono::seconds(1);
}  // namespace

ActivityContext::ActivityContext(ActivityInfo info, api::v1::Payloads previous_details,
                                 HeartbeatSender sender)
    : info_(std::move(info)),
      previous_details_(std::move(previous_details)),
      sender_(std::move(sender)) {
  if (info_.heartbeat_timeout.count() > 0) {
    throttle_ = std::min<std::chrono::steady_clock::duration>(info_.heartbeat_timeout * 4 / 5,
                                                              std::chrono::seconds(30));
  } else {
    throttle_ = kDefaultThrottle;
  }
}

void ActivityContext::HeartbeatPayloads(api::v1::Payloads details) {
  auto now = std::chrono::steady_clock::now();
  if (sent_once_ && now - last_sent_ < throttle_) {
    unsent_details_ = std::move(details);
    return;
  }
  sent_once_ = true;
  last_sent_ = now;
  unsent_details_.reset();
  if (sender_ && sender_(details)) cancel_requested_.store(true);
}

void ActivityContext::FlushHeartbeat() {
  if (!unsent_details_) return;
  api::v1::Payloads details = std::move(*unsent_details_);
  unsent_details_.reset();
  last_sent_ = std::chrono::steady_clock::now();
  if (sender_ && sender_(details)) cancel_requested_.store(true);
}

CircuitBreaker& ActivityContext::Breaker(std::string_view key) {
  static CircuitBreakerRegistry* const process_breakers = new CircuitBreakerRegistry();
  return (breakers_ != nullptr ? breakers_ : process_breakers)->Get(key);
}

}  // namespace weft
