// The whole `weft` command line as a function, so that tests can run it in-process against
// a fake server and read what a user would see.
//
// Thread safety: RunCli may run on several threads at once; each call builds its own parser
// and client. It reads the environment (WEFT_ADDRESS, WEFT_NAMESPACE).
#ifndef WEFT_CLI_CLI_APP_H_
#define WEFT_CLI_CLI_APP_H_

#include <ostream>

namespace weft::cli {

// Parses `argv` (argv[0] is the program name), runs the chosen subcommand, writes its
// output to `out` and messages to `err`, and returns the process exit code (exit_codes.h).
// Never throws.
int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace weft::cli

#endif  // WEFT_CLI_CLI_APP_H_
