// `weft breaker list|describe|force-open|force-close|auto` (AdminService circuit breakers) and
// `weft namespace update` (retention, description, owner, circuit breaker settings).
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/event_summary.h"
#include "cli/exit_codes.h"
#include "cli/output_format.h"
#include "cli/text_table.h"

namespace weft::cli {
namespace {

using AdminStub = ServiceClient::AdminStub;
using Stub = ServiceClient::Stub;

std::string StateName(api::v1::CircuitBreakerState s) {
  switch (s) {
    case api::v1::CIRCUIT_BREAKER_STATE_OPEN:
      return "OPEN";
    case api::v1::CIRCUIT_BREAKER_STATE_HALF_OPEN:
      return "HALF_OPEN";
    case api::v1::CIRCUIT_BREAKER_STATE_CLOSED:
      return "CLOSED";
    default:
      return "UNKNOWN";
  }
}

std::string OverrideName(api::v1::CircuitBreakerOverride o) {
  switch (o) {
    case api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN:
      return "FORCE_OPEN";
    case api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_CLOSED:
      return "FORCE_CLOSED";
    default:
      return "AUTO";
  }
}

std::string Percent(double rate) { return absl::StrFormat("%.1f%%", rate * 100); }

std::string TimeOrDash(const google::protobuf::Timestamp& t) {
  return t.seconds() == 0 && t.nanos() == 0 ? "-" : FormatTimestamp(t);
}

}  // namespace

std::string FormatBreakerConfig(const api::v1::CircuitBreakerConfig& c) {
  if (!c.enabled()) return "off";
  return absl::StrCat("on: opens at ", Percent(c.failure_rate_threshold()),
                      " failures of at least ", c.minimum_attempts(), " attempts in ",
                      DurationToText(FromProtoDuration(c.window())), ", open for ",
                      DurationToText(FromProtoDuration(c.open_duration())), ", ",
                      c.half_open_probes(), c.half_open_probes() == 1 ? " probe" : " probes",
                      c.per_task_queue() ? ", per task queue" : "");
}

std::string FormatBreakerDescription(const api::v1::DescribeCircuitBreakerResponse& r) {
  const auto& b = r.breaker();
  std::string out;
  absl::StrAppend(&out, "Activity type:  ", b.activity_type(), "\n");
  absl::StrAppend(&out, "Namespace:      ", b.namespace_(), "\n");
  if (!b.task_queue().empty()) absl::StrAppend(&out, "Task queue:     ", b.task_queue(), "\n");
  absl::StrAppend(&out, "State:          ", StateName(b.state()), "\n");
  absl::StrAppend(&out, "Override:       ", OverrideName(b.override()));
  if (!b.override_reason().empty()) absl::StrAppend(&out, " (", b.override_reason(), ")");
  absl::StrAppend(&out, "\n");
  absl::StrAppend(&out, "Window:         ", b.window_failures(), " failed, ", b.window_successes(),
                  " succeeded (failure rate ", Percent(b.failure_rate()), ")\n");
  absl::StrAppend(&out, "Opened:         ", TimeOrDash(b.opened_time()), "\n");
  absl::StrAppend(&out, "Next probe:     ", TimeOrDash(b.next_probe_time()), "\n");
  absl::StrAppend(&out, "Held attempts:  ", b.held_attempts(), "\n");
  absl::StrAppend(&out, "Probes running: ", b.probes_in_flight(), "\n");
  absl::StrAppend(&out, "Times opened:   ", b.times_opened(), "\n");
  absl::StrAppend(&out, "Config:         ", FormatBreakerConfig(r.config()), "\n");
  return out;
}

namespace {

int RunList(CommandEnv& env) {
  api::v1::ListCircuitBreakersRequest request;
  request.set_namespace_(env.options().ns);
  auto response = env.client().CallAdmin(&AdminStub::ListCircuitBreakers, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  if (response->breakers().empty()) {
    env.out() << "no circuit breakers in namespace \"" << env.options().ns
              << "\" have seen an attempt yet\n";
    return kExitOk;
  }
  TextTable table(
      {"ACTIVITY TYPE", "TASK QUEUE", "STATE", "OVERRIDE", "FAILURE RATE", "HELD", "OPENED"});
  for (const auto& b : response->breakers()) {
    table.AddRow({b.activity_type(), b.task_queue().empty() ? "-" : b.task_queue(),
                  StateName(b.state()), OverrideName(b.override()), Percent(b.failure_rate()),
                  absl::StrCat(b.held_attempts()), TimeOrDash(b.opened_time())});
  }
  env.out() << table.Render();
  return kExitOk;
}

struct BreakerArgs {
  std::string activity_type;
  std::string task_queue;
  std::string reason;
};

int RunDescribe(const BreakerArgs& args, CommandEnv& env) {
  api::v1::DescribeCircuitBreakerRequest request;
  request.set_namespace_(env.options().ns);
  request.set_activity_type(args.activity_type);
  request.set_task_queue(args.task_queue);
  auto response = env.client().CallAdmin(&AdminStub::DescribeCircuitBreaker, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << FormatBreakerDescription(*response);
  return kExitOk;
}

int RunOverride(const BreakerArgs& args, api::v1::CircuitBreakerOverride value, CommandEnv& env) {
  api::v1::SetCircuitBreakerOverrideRequest request;
  request.set_namespace_(env.options().ns);
  request.set_activity_type(args.activity_type);
  request.set_task_queue(args.task_queue);
  request.set_override(value);
  request.set_reason(args.reason);
  auto response = env.client().CallAdmin(&AdminStub::SetCircuitBreakerOverride, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  const auto& b = response->breaker();
  env.out() << "circuit breaker " << b.activity_type()
            << (b.task_queue().empty() ? "" : absl::StrCat(" (task queue ", b.task_queue(), ")"))
            << " in namespace \"" << b.namespace_() << "\": "
            << (value == api::v1::CIRCUIT_BREAKER_OVERRIDE_AUTO
                    ? "automatic again"
                    : absl::StrCat("forced ", value == api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN
                                                  ? "open"
                                                  : "closed"))
            << ", now " << StateName(b.state()) << "\n";
  return kExitOk;
}

void AddBreakerOptions(CLI::App* cmd, BreakerArgs& args, bool with_reason) {
  cmd->add_option("--activity-type", args.activity_type, "Activity type of the breaker")
      ->required();
  cmd->add_option("--task-queue", args.task_queue,
                  "Task queue (only when the namespace's breakers are per task queue)");
  if (with_reason) {
    cmd->add_option("--reason", args.reason, "Why (kept with the override, shown by describe)");
  }
}

// ---- namespace update ----

struct UpdateArgs {
  std::string name;
  std::string description;
  std::string owner_email;
  std::string retention;
  bool enabled = false;
  double failure_rate = 0;
  int min_attempts = 0;
  std::string window;
  std::string open_duration;
  int probes = 0;
  bool per_queue = false;
  // Which options were given (an empty or zero value may be meant).
  CLI::Option* description_opt = nullptr;
  CLI::Option* owner_opt = nullptr;
  CLI::Option* enabled_opt = nullptr;
  CLI::Option* rate_opt = nullptr;
  CLI::Option* min_opt = nullptr;
  CLI::Option* probes_opt = nullptr;
  CLI::Option* per_queue_opt = nullptr;
};

bool Given(const CLI::Option* o) { return o != nullptr && o->count() > 0; }

int RunUpdate(const UpdateArgs& args, CommandEnv& env) {
  api::v1::UpdateNamespaceRequest request;
  request.set_namespace_(args.name.empty() ? env.options().ns : args.name);
  if (Given(args.description_opt)) request.set_description(args.description);
  if (Given(args.owner_opt)) request.set_owner_email(args.owner_email);
  if (!args.retention.empty()) {
    auto d = ParseDurationFlag("--retention", args.retention);
    if (!d.ok()) return env.Fail(d.status());
    *request.mutable_workflow_execution_retention_period() = ToProtoDuration(*d);
  }
  bool breaker = Given(args.enabled_opt) || Given(args.rate_opt) || Given(args.min_opt) ||
                 !args.window.empty() || !args.open_duration.empty() || Given(args.probes_opt) ||
                 Given(args.per_queue_opt);
  if (breaker) {
    // The server replaces the breaker config as a whole: start from the current one.
    api::v1::DescribeNamespaceRequest describe;
    describe.set_namespace_(request.namespace_());
    auto current = env.client().Call(&Stub::DescribeNamespace, describe);
    if (!current.ok()) return env.Fail(current.status());
    api::v1::CircuitBreakerConfig c = current->namespace_info().circuit_breaker_config();
    if (Given(args.enabled_opt)) c.set_enabled(args.enabled);
    if (Given(args.rate_opt)) c.set_failure_rate_threshold(args.failure_rate);
    if (Given(args.min_opt)) c.set_minimum_attempts(args.min_attempts);
    if (Given(args.probes_opt)) c.set_half_open_probes(args.probes);
    if (Given(args.per_queue_opt)) c.set_per_task_queue(args.per_queue);
    if (!args.window.empty()) {
      auto d = ParseDurationFlag("--breaker-window", args.window);
      if (!d.ok()) return env.Fail(d.status());
      *c.mutable_window() = ToProtoDuration(*d);
    }
    if (!args.open_duration.empty()) {
      auto d = ParseDurationFlag("--breaker-open-duration", args.open_duration);
      if (!d.ok()) return env.Fail(d.status());
      *c.mutable_open_duration() = ToProtoDuration(*d);
    }
    *request.mutable_circuit_breaker_config() = c;
  }
  if (!Given(args.description_opt) && !Given(args.owner_opt) && args.retention.empty() &&
      !breaker) {
    return env.Fail(absl::InvalidArgumentError(
        "nothing to update: give --retention, --description, --owner-email or --breaker-* "
        "options"));
  }
  auto response = env.client().Call(&Stub::UpdateNamespace, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << FormatNamespaceInfo(response->namespace_info());
  env.out() << "Circuit breakers: "
            << FormatBreakerConfig(response->namespace_info().circuit_breaker_config()) << "\n";
  return kExitOk;
}

}  // namespace

void AddNamespaceUpdateCommand(CLI::App& ns, std::vector<Command>& commands) {
  auto args = std::make_shared<UpdateArgs>();
  CLI::App* update = ns.add_subcommand(
      "update", "Change a namespace's retention, description, owner or circuit breakers");
  update->add_option("name", args->name, "Namespace name (default: -n / WEFT_NAMESPACE)");
  args->description_opt =
      update->add_option("--description", args->description, "Free-text description");
  args->owner_opt = update->add_option("--owner-email", args->owner_email, "Who to ask about it");
  update->add_option("--retention", args->retention,
                     "How long closed workflows are kept, e.g. 3d or 72h");
  args->enabled_opt = update->add_flag("--breaker-enabled", args->enabled,
                                       "Turn server-side circuit breakers on (=false: off)");
  args->rate_opt =
      update->add_option("--breaker-failure-rate", args->failure_rate,
                         "Failure rate that opens a breaker, 0 < X <= 1 (default 0.5)");
  args->min_opt =
      update->add_option("--breaker-min-attempts", args->min_attempts,
                         "Attempts the window must hold before a breaker may open (default 20)");
  update->add_option("--breaker-window", args->window,
                     "Rolling window of attempt outcomes, e.g. 60s (default)");
  update->add_option("--breaker-open-duration", args->open_duration,
                     "How long an open breaker holds attempts before probing, e.g. 30s");
  args->probes_opt =
      update->add_option("--breaker-probes", args->probes,
                         "Attempts a half-open breaker lets through to decide (default 1)");
  args->per_queue_opt = update->add_flag(
      "--breaker-per-task-queue", args->per_queue,
      "One breaker per (activity type, task queue) instead of per activity type (=false: off)");
  commands.push_back({update, [args](CommandEnv& env) { return RunUpdate(*args, env); }});
}

void AddBreakerCommands(CLI::App& root, std::vector<Command>& commands) {
  CLI::App* breaker = root.add_subcommand(
      "breaker", "Server-side circuit breakers of activity types: list, describe, override");
  breaker->require_subcommand(1);

  CLI::App* list = breaker->add_subcommand("list", "List the namespace's circuit breakers");
  commands.push_back({list, [](CommandEnv& env) { return RunList(env); }});

  auto describe_args = std::make_shared<BreakerArgs>();
  CLI::App* describe = breaker->add_subcommand("describe", "Show one circuit breaker");
  AddBreakerOptions(describe, *describe_args, false);
  commands.push_back(
      {describe, [describe_args](CommandEnv& env) { return RunDescribe(*describe_args, env); }});

  struct Override {
    const char* name;
    const char* help;
    api::v1::CircuitBreakerOverride value;
  };
  for (const Override& o : {
           Override{"force-open", "Hold every attempt until told otherwise (persisted)",
                    api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_OPEN},
           Override{"force-close", "Let every attempt through, whatever fails (persisted)",
                    api::v1::CIRCUIT_BREAKER_OVERRIDE_FORCE_CLOSED},
           Override{"auto", "Remove an override: the breaker decides again",
                    api::v1::CIRCUIT_BREAKER_OVERRIDE_AUTO},
       }) {
    auto args = std::make_shared<BreakerArgs>();
    CLI::App* cmd = breaker->add_subcommand(o.name, o.help);
    AddBreakerOptions(cmd, *args, true);
    commands.push_back(
        {cmd, [args, value = o.value](CommandEnv& env) { return RunOverride(*args, value, env); }});
  }
}

}  // namespace weft::cli
