// Exit codes of the `weft` command. Scripts depend on them: never renumber.
#ifndef WEFT_CLI_EXIT_CODES_H_
#define WEFT_CLI_EXIT_CODES_H_

namespace weft::cli {

// The command did what was asked (for `workflow result`: the workflow completed).
inline constexpr int kExitOk = 0;
// `workflow result` only: the workflow closed without completing (failed, canceled,
// terminated or timed out).
inline constexpr int kExitWorkflowNotCompleted = 1;
// `workflow result` only: --timeout passed before the workflow closed.
inline constexpr int kExitWaitTimedOut = 2;
// The command itself failed: bad arguments, invalid input, the server unreachable or an
// error answer from the server.
inline constexpr int kExitError = 3;

}  // namespace weft::cli

#endif  // WEFT_CLI_EXIT_CODES_H_
