// Registration of the `weft` subcommands on a CLI11 app.
//
// Each leaf subcommand (e.g. `workflow start`) is returned as a Command: its CLI11 app, which
// CLI11 fills in during parsing, and the function that runs it afterwards. Options are
// parsed into storage the run function owns, so a Command stays valid after Add*() returns.
//
// Thread safety: not thread-safe; build and run the commands on one thread.
#ifndef WEFT_CLI_COMMANDS_H_
#define WEFT_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/command_env.h"

namespace weft::cli {

struct Command {
  CLI::App* app;                        // owned by the root app
  std::function<int(CommandEnv&)> run;  // returns the process exit code
};

// `weft namespace create|describe|list`.
void AddNamespaceCommands(CLI::App& root, std::vector<Command>& commands);

// `weft workflow start|result|describe|list|history|query|signal|cancel|terminate`.
void AddWorkflowCommands(CLI::App& root, std::vector<Command>& commands);

// `weft task-queue describe`.
void AddTaskQueueCommands(CLI::App& root, std::vector<Command>& commands);
// Its text output: rate limit, dispatched count, backlog by priority, pollers.
std::string FormatTaskQueueDescription(const std::string& name, const std::string& type,
                                       const api::v1::DescribeTaskQueueResponse& response);

// `weft schedule create|update|describe|list|pause|unpause|trigger|backfill|delete`
// (schedule_commands.cc).
void AddScheduleCommands(CLI::App& root, std::vector<Command>& commands);

// `weft breaker list|describe|force-open|force-close|auto` (breaker_commands.cc).
void AddBreakerCommands(CLI::App& root, std::vector<Command>& commands);
// `weft namespace update` on the `namespace` subcommand (breaker_commands.cc).
void AddNamespaceUpdateCommand(CLI::App& ns, std::vector<Command>& commands);
// Text output of `weft breaker describe` and of a namespace's breaker settings.
std::string FormatBreakerDescription(const api::v1::DescribeCircuitBreakerResponse& response);
std::string FormatBreakerConfig(const api::v1::CircuitBreakerConfig& config);

// `weft search-attribute add|list` (search_attribute_commands.cc).
void AddSearchAttributeCommands(CLI::App& root, std::vector<Command>& commands);
// `weft workflow count [--query Q]` on the `workflow` subcommand.
void AddWorkflowCountCommand(CLI::App& wf, std::vector<Command>& commands);
// `weft workflow trace` on the `workflow` subcommand (workflow_trace_command.cc).
void AddWorkflowTraceCommand(CLI::App& wf, std::vector<Command>& commands);
// `--search-attr Name=Value` flags as search attributes, each value read as the type the
// namespace registered for Name (asks the server). INVALID_ARGUMENT names a bad flag.
absl::StatusOr<api::v1::SearchAttributes> ParseSearchAttrFlags(
    const std::vector<std::string>& flags, CommandEnv& env);
// "Search attributes:\n  Name = <json>\n..." (empty when there are none).
std::string FormatSearchAttributes(const api::v1::SearchAttributes& attributes);

// `weft log-level` and `weft log-level set LEVEL [--component C]` (log_level_commands.cc).
void AddLogLevelCommands(CLI::App& root, std::vector<Command>& commands);
// "Default level: info" and the COMPONENT / LEVEL table.
std::string FormatLogLevels(
    const std::string& default_level,
    const google::protobuf::RepeatedPtrField<api::v1::ComponentLogLevel>& levels);

}  // namespace weft::cli

#endif  // WEFT_CLI_COMMANDS_H_
