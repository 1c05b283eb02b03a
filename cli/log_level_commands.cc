// `weft log-level` (the server's log level per component) and `weft log-level set LEVEL
// [--component C]` (AdminService GetLogLevels / SetLogLevel; admin only).
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/text_table.h"

namespace weft::cli {

std::string FormatLogLevels(
    const std::string& default_level,
    const google::protobuf::RepeatedPtrField<api::v1::ComponentLogLevel>& levels) {
  std::string out = "Default level: " + default_level + "\n";
  if (levels.empty()) return out;
  TextTable table({"COMPONENT", "LEVEL"});
  for (const auto& l : levels) table.AddRow({l.component(), l.level()});
  return out + table.Render();
}

namespace {

using AdminStub = ServiceClient::AdminStub;

int RunGet(CommandEnv& env) {
  auto response = env.client().CallAdmin(&AdminStub::GetLogLevels, api::v1::GetLogLevelsRequest());
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << FormatLogLevels(response->default_level(), response->levels());
  return kExitOk;
}

struct SetArgs {
  std::string level;
  std::string component;
};

int RunSet(const SetArgs& args, CommandEnv& env) {
  api::v1::SetLogLevelRequest request;
  request.set_level(args.level);
  request.set_component(args.component);
  auto response = env.client().CallAdmin(&AdminStub::SetLogLevel, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  if (args.component.empty()) {
    env.out() << "log level of every component set to " << args.level << "\n";
  } else {
    env.out() << "log level of " << args.component << " set to " << args.level << "\n";
  }
  env.out() << FormatLogLevels(response->default_level(), response->levels());
  return kExitOk;
}

}  // namespace

void AddLogLevelCommands(CLI::App& root, std::vector<Command>& commands) {
  CLI::App* group = root.add_subcommand(
      "log-level", "Show the server's log level per component, or change it (admin)");
  group->require_subcommand(0, 1);

  auto set_args = std::make_shared<SetArgs>();
  CLI::App* set = group->add_subcommand(
      "set", "Change the log level of one component (--component) or of all, at once");
  set->add_option("level", set_args->level, "trace, debug, info, warn, error or off")->required();
  set->add_option("--component", set_args->component,
                  "app, auth, frontend, history, matching, scheduler or storage (default: all)");
  // `set` first: when it is given, the group is parsed too.
  commands.push_back({set, [set_args](CommandEnv& env) { return RunSet(*set_args, env); }});
  commands.push_back({group, [](CommandEnv& env) { return RunGet(env); }});
}

}  // namespace weft::cli
