// ParentChild: a parent workflow that starts child workflows in parallel, signals one of
// them, and combines their results. Each child (ParentChildItem) squares its index; the
// first one also waits for a `bonus` signal from the parent and adds it. With sleep_ms the
// children also wait on a durable timer, which leaves time to see them in `weft workflow
// describe` (pending children) or to restart the server under them.
//
//   weft workflow start -q samples -t ParentChild --input '{"children":5}'
//   -> {"results": [101, 4, 9, 16, 25], "sum": 155}
//
// No input: {"children": 3, "sleep_ms": 0} -> {"results": [101, 4, 9], "sum": 114}.
#include <chrono>
#include <vector>

#include "samples.h"
#include "weft/workflow.h"

namespace weft::samples {
namespace {

constexpr int kMaxChildren = 100;

struct ParentInput {
  int children = 3;
  int sleep_ms = 0;
};
void from_json(const nlohmann::json& j, ParentInput& in) {
  if (j.is_null()) return;
  in.children = j.value("children", 3);
  in.sleep_ms = j.value("sleep_ms", 0);
}

struct ItemInput {
  int index = 1;
  bool wait_for_bonus = false;
  int sleep_ms = 0;
};
void from_json(const nlohmann::json& j, ItemInput& in) {
  if (j.is_null()) return;
  in.index = j.value("index", 1);
  in.wait_for_bonus = j.value("wait_for_bonus", false);
  in.sleep_ms = j.value("sleep_ms", 0);
}
void to_json(nlohmann::json& j, const ItemInput& in) {
  j = {{"index", in.index}, {"wait_for_bonus", in.wait_for_bonus}, {"sleep_ms", in.sleep_ms}};
}

Workflow<int> ParentChildItem(WorkflowContext& ctx, ItemInput in) {
  int bonus = 0;
  if (in.wait_for_bonus) bonus = co_await ctx.GetSignalChannel("bonus").Receive<int>();
  if (in.sleep_ms > 0) co_await ctx.Sleep(std::chrono::milliseconds(in.sleep_ms));
  co_return in.index* in.index + bonus;
}

Workflow<nlohmann::json> ParentChild(WorkflowContext& ctx, ParentInput in) {
  if (in.children < 1 || in.children > kMaxChildren) {
    throw ApplicationError("children must be 1 to 100", "InvalidInput", /*non_retryable=*/true);
  }
  std::vector<ChildWorkflowFuture<int>> children;
  for (int i = 1; i <= in.children; ++i) {
    children.push_back(ctx.StartChildWorkflow<int>(
        "ParentChildItem", {},
        ItemInput{.index = i, .wait_for_bonus = i == 1, .sleep_ms = in.sleep_ms}));
  }
  // A signal needs a running child: wait for the first one to start, then send its bonus.
  co_await children.front().Started();
  co_await children.front().Signal("bonus", 100);
  std::vector<int> results;
  int sum = 0;
  for (auto& child : children) {
    results.push_back(co_await child);
    sum += results.back();
  }
  co_return nlohmann::json{{"results", results}, {"sum", sum}};
}

}  // namespace

void RegisterParentChild(Worker& worker) {
  worker.RegisterWorkflow("ParentChild", ParentChild);
  worker.RegisterWorkflow("ParentChildItem", ParentChildItem);
}

}  // namespace weft::samples
