// Registration of the access-management subcommands of `weft`:
//   weft apikey create|list|revoke   (admin)
//   weft role grant|revoke|list      (admin, or namespace-admin in their namespace)
//   weft audit list                  (admin, or namespace-admin in their namespace)
//   weft whoami                      (who the server takes the caller for)
//
// Thread safety: not thread-safe; build and run the commands on one thread.
#ifndef WEFT_CLI_SECURITY_COMMANDS_H_
#define WEFT_CLI_SECURITY_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <vector>

#include "cli/commands.h"

namespace weft::cli {

void AddSecurityCommands(CLI::App& root, std::vector<Command>& commands);

}  // namespace weft::cli

#endif  // WEFT_CLI_SECURITY_COMMANDS_H_
