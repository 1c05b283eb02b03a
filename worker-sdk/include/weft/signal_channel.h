// weft::SignalChannel: the signals of one name sent to a workflow, in arrival (history) order.
//
//   auto& approvals = ctx.GetSignalChannel("approve");
//   bool ok = co_await approvals.Receive<bool>();
//
// Signals that arrive before anyone receives are buffered. Each Receive() takes the next
// signal: at once if one is buffered, otherwise the future resolves when one arrives
// (receivers are served in the order they called Receive). A pending Receive future keeps
// its signal even if the workflow stopped waiting for it (e.g. lost a WhenAny), so co_await
// it later instead of calling Receive again.
//
// Thread safety: none; owned by the workflow's runtime, used from workflow code only.
#ifndef WEFT_SIGNAL_CHANNEL_H_
#define WEFT_SIGNAL_CHANNEL_H_

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "weft/api/v1/common.pb.h"
#include "weft/future.h"
#include "weft/payload.h"

namespace weft {

class SignalChannel {
 public:
  SignalChannel(detail::Scheduler* scheduler, std::string name);
  SignalChannel(const SignalChannel&) = delete;
  SignalChannel& operator=(const SignalChannel&) = delete;

  const std::string& name() const { return name_; }

  // The next signal's first argument decoded as T (a signal without arguments decodes as
  // JSON null). A decode failure surfaces as weft::PayloadError at co_await.
  template <typename T = nlohmann::json>
  Future<T> Receive() {
    return detail::Transform<T>(ReceivePayloads(),
                                [](const api::v1::Payloads& p) { return FromFirstPayload<T>(p); });
  }

  // The next signal's arguments, undecoded.
  Future<api::v1::Payloads> ReceivePayloads();

  // Takes a buffered signal without waiting, if there is one.
  template <typename T = nlohmann::json>
  std::optional<T> TryReceive() {
    if (buffered_.empty()) return std::nullopt;
    api::v1::Payloads p = std::move(buffered_.front());
    buffered_.pop_front();
    return FromFirstPayload<T>(p);
  }

  // Number of signals buffered and not yet received.
  size_t size() const { return buffered_.size(); }

  // For the runtime: a signal arrived.
  void Deliver(api::v1::Payloads input);

 private:
  detail::Scheduler* scheduler_;
  std::string name_;
  std::deque<api::v1::Payloads> buffered_;
  std::deque<std::shared_ptr<detail::FutureState<api::v1::Payloads>>> receivers_;
};

}  // namespace weft

#endif  // WEFT_SIGNAL_CHANNEL_H_
