#include "weft/signal_channel.h"

#include <utility>

namespace weft {

SignalChannel::SignalChannel(detail::Scheduler* scheduler, std::string name)
    : scheduler_(scheduler), name_(std::move(name)) {}

Future<api::v1::Payloads> SignalChannel::ReceivePayloads() {
  auto state = std::make_shared<detail::FutureState<api::v1::Payloads>>(scheduler_);
  if (!buffered_.empty()) {
    state->SetValue(std::move(buffered_.front()));
    buffered_.pop_front();
  } else {
    receivers_.push_back(state);
  }
  return Future<api::v1::Payloads>(state);
}

void SignalChannel::Deliver(api::v1::Payloads input) {
  if (receivers_.empty()) {
    buffered_.push_back(std::move(input));
    return;
  }
  auto receiver = std::move(receivers_.front());
  receivers_.pop_front();
  receiver->SetValue(std::move(input));
}

}  // namespace weft
