// `weft task-queue describe`: who polls a task queue, what waits in it, and the dispatch
// rate limit in force.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/event_summary.h"
#include "cli/exit_codes.h"
#include "cli/text_table.h"

namespace weft::cli {
namespace {

using Stub = ServiceClient::Stub;

struct DescribeArgs {
  std::string task_queue;
  std::string type = "workflow";
};

std::string FormatRate(double per_second) {
  return per_second > 0 ? absl::StrCat(per_second, "/s") : "none";
}

}  // namespace

std::string FormatTaskQueueDescription(const std::string& name, const std::string& type,
                                       const api::v1::DescribeTaskQueueResponse& r) {
  const api::v1::TaskQueueStatus& status = r.task_queue_status();
  std::vector<std::pair<int32_t, int64_t>> by_priority(status.backlog_by_priority().begin(),
                                                       status.backlog_by_priority().end());
  std::sort(by_priority.begin(), by_priority.end());
  std::string backlog = absl::StrCat(status.backlog_count_hint());
  if (!by_priority.empty()) {
    absl::StrAppend(&backlog, " (",
                    absl::StrJoin(by_priority, ", ",
                                  [](std::string* out, const std::pair<int32_t, int64_t>& p) {
                                    absl::StrAppend(out, "priority ", p.first, ": ", p.second);
                                  }),
                    ")");
  }
  std::string rate = FormatRate(status.rate_per_second());
  if (status.rate_per_second() > 0) absl::StrAppend(&rate, " (the lowest any poller asks for)");
  std::string out;
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"Task queue:", absl::StrCat(name, " (", type, ")")},
           {"Rate limit:", rate},
           {"Dispatched:", absl::StrCat(status.tasks_dispatched(), " since the server started")},
           {"Backlog:", backlog},
           {"Pollers:", r.pollers_size() == 0 ? std::string("none in the last 5 minutes")
                                              : absl::StrCat(r.pollers_size())},
       }) {
    absl::StrAppend(&out, absl::StrFormat("%-12s%s\n", key, value));
  }
  if (r.pollers_size() > 0) {
    TextTable table({"IDENTITY", "LAST ACCESS", "RATE LIMIT ASKED"});
    for (const api::v1::PollerInfo& p : r.pollers()) {
      table.AddRow({p.identity().empty() ? "-" : p.identity(),
                    FormatTimestamp(p.last_access_time()), FormatRate(p.rate_per_second())});
    }
    absl::StrAppend(&out, table.Render());
  }
  return out;
}

namespace {

int RunDescribe(const DescribeArgs& args, CommandEnv& env) {
  api::v1::DescribeTaskQueueRequest request;
  request.set_namespace_(env.options().ns);
  request.mutable_task_queue()->set_name(args.task_queue);
  request.set_task_queue_type(args.type == "activity" ? api::v1::TASK_QUEUE_TYPE_ACTIVITY
                                                      : api::v1::TASK_QUEUE_TYPE_WORKFLOW);
  auto response = env.client().Call(&Stub::DescribeTaskQueue, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << FormatTaskQueueDescription(args.task_queue, args.type, *response);
  return kExitOk;
}

}  // namespace

void AddTaskQueueCommands(CLI::App& root, std::vector<Command>& commands) {
  CLI::App* tq = root.add_subcommand("task-queue", "Inspect task queues");
  tq->require_subcommand(1);

  auto args = std::make_shared<DescribeArgs>();
  CLI::App* describe = tq->add_subcommand(
      "describe",
      "Show a task queue's pollers (last 5 minutes), backlog by priority and dispatch rate limit");
  describe->add_option("-q,--task-queue", args->task_queue, "Task queue name")->required();
  describe->add_option("--type", args->type, "Which tasks: workflow or activity")
      ->check(CLI::IsMember({"workflow", "activity"}))
      ->capture_default_str();
  commands.push_back({describe, [args](CommandEnv& env) { return RunDescribe(*args, env); }});
}

}  // namespace weft::cli
