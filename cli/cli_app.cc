#include "cli/cli_app.h"

#include <CLI/CLI.hpp>
#include <exception>
#include <string>
#include <vector>

#include "cli/command_env.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/security_commands.h"

namespace weft::cli {
namespace {

constexpr char kFooter[] =
    "Global options go before or after the subcommand: --address, -n/--namespace, -o/--output,\n"
    "--token/--api-key, --tls-ca/--tls-cert/--tls-key (see weft --help).\n"
    "Durations are written like 500ms, 10s, 1m30s, 2h or 3d.\n"
    "JSON arguments (--input) are JSON text: --input '\"world\"' --input '{\"n\": 1}'.\n"
    "Exit codes: 0 success; 3 the command failed (bad arguments, an error from the server,\n"
    "server unreachable). `weft workflow result` also uses 1 and 2: see its --help.";

int Run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app("weft: start, inspect and control workflows on a weft server", "weft");
  // Global options may follow the subcommand: `weft workflow list -o json`.
  app.fallthrough();
  app.require_subcommand(1);
  app.footer(kFooter);

  GlobalOptions globals;
  app.add_option("--address", globals.address, "Server address host:port")
      ->envname("WEFT_ADDRESS")
      ->capture_default_str();
  app.add_option("-n,--namespace", globals.ns, "Namespace of the workflows")
      ->envname("WEFT_NAMESPACE")
      ->capture_default_str();
  app.add_option("-o,--output", globals.output, "Output format: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--token", globals.token, "JWT to authenticate with")->envname("WEFT_TOKEN");
  app.add_option("--api-key", globals.api_key, "API key to authenticate with")
      ->envname("WEFT_API_KEY");
  app.add_option("--tls-ca", globals.tls_ca, "Use TLS; trust the CA in this PEM file")
      ->envname("WEFT_TLS_CA");
  app.add_option("--tls-cert", globals.tls_cert, "Client certificate (PEM) for mTLS")
      ->envname("WEFT_TLS_CERT");
  app.add_option("--tls-key", globals.tls_key, "Private key (PEM) of --tls-cert")
      ->envname("WEFT_TLS_KEY");

  std::vector<Command> commands;
  AddBreakerCommands(app, commands);
  AddNamespaceCommands(app, commands);
  AddWorkflowCommands(app, commands);
  AddSearchAttributeCommands(app, commands);
  AddTaskQueueCommands(app, commands);
  AddScheduleCommands(app, commands);
  AddSecurityCommands(app, commands);
  AddLogLevelCommands(app, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::Success& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    if (argc <= 1) {
      out << app.help();
      return kExitError;
    }
    err << "weft: " << e.what() << " (see weft --help)\n";
    return kExitError;
  }

  for (const Command& command : commands) {
    if (command.app->parsed()) {
      CommandEnv env(globals, out, err);
      return command.run(env);
    }
  }
  // require_subcommand makes this unreachable for the root; a group without its leaf lands
  // here only if CLI11 changed behavior.
  err << "weft: missing subcommand (see weft --help)\n";
  return kExitError;
}

}  // namespace

int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  try {
    return Run(argc, argv, out, err);
  } catch (const std::exception& e) {
    // Our code reports errors by absl::Status; this only catches library surprises, so that
    // a user never sees an abort.
    err << "weft: internal error: " << e.what() << "\n";
    return kExitError;
  }
}

}  // namespace weft::cli
