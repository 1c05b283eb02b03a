// weft::WorkflowDefinition: a registered workflow function with its types erased, so the
// runtime can start it from the run's input payloads.
//
//   weft::Workflow<std::string> Greet(weft::WorkflowContext& ctx, std::string name);
//   auto def = weft::WorkflowDefinition::FromFunction("Greeting", Greet);
//
// Argument types and the result type are deduced from the function's signature: argument i
// is JSON-decoded (see payload.h) from input payload i, the result is encoded as one payload
// (none for Workflow<void>). Missing arguments decode from JSON null; a decode failure fails
// the workflow with type "PayloadError".
//
// Thread safety: immutable after construction; Start() may be called from many threads.
#ifndef WEFT_WORKFLOW_DEFINITION_H_
#define WEFT_WORKFLOW_DEFINITION_H_

#include <functional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "weft/api/v1/common.pb.h"
#include "weft/payload.h"
#include "weft/workflow.h"
#include "weft/workflow_context.h"

namespace weft {

namespace detail {

template <typename F>
struct WorkflowSignature;
template <typename R, typename... Args>
struct WorkflowSignature<std::function<Workflow<R>(WorkflowContext&, Args...)>> {
  using Result = R;
  using ArgsTuple = std::tuple<std::decay_t<Args>...>;
};

template <typename R, typename Fn, typename Tuple>
Workflow<api::v1::Payloads> RunErased(Fn fn, WorkflowContext& ctx, Tuple args) {
  if constexpr (std::is_void_v<R>) {
    co_await std::apply([&](auto&... a) { return fn(ctx, a...); }, args);
    co_return api::v1::Payloads();
  } else {
    R result = co_await std::apply([&](auto&... a) { return fn(ctx, a...); }, args);
    co_return ToPayloads(result);
  }
}

}  // namespace detail

class WorkflowDefinition {
 public:
  using Starter =
      std::function<Workflow<api::v1::Payloads>(WorkflowContext&, const api::v1::Payloads&)>;

  WorkflowDefinition(std::string name, Starter starter)
      : name_(std::move(name)), starter_(std::move(starter)) {}

  template <typename Fn>
  static WorkflowDefinition FromFunction(std::string name, Fn fn) {
    using Sig = detail::WorkflowSignature<decltype(std::function{fn})>;
    using Tuple = typename Sig::ArgsTuple;
    Starter starter = [fn](WorkflowContext& ctx, const api::v1::Payloads& input) {
      Tuple args = detail::DecodeArguments<Tuple>(
          input, std::make_index_sequence<std::tuple_size_v<Tuple>>());
      return detail::RunErased<typename Sig::Result>(fn, ctx, std::move(args));
    };
    return WorkflowDefinition(std::move(name), std::move(starter));
  }

  const std::string& name() const { return name_; }

  // Decodes `input` and creates the (not yet started) coroutine. Throws PayloadError when the
  // input does not decode.
  Workflow<api::v1::Payloads> Start(WorkflowContext& ctx, const api::v1::Payloads& input) const {
    return starter_(ctx, input);
  }

 private:
  std::string name_;
  Starter starter_;
};

}  // namespace weft

#endif  // WEFT_WORKFLOW_DEFINITION_H_
