// Process: runs a program as a child process for end-to-end tests, with its stdout and
// stderr captured, and lets a test wait for a line with a deadline, send signals, and collect
// the exit status. The destructor kills a child that is still running.
//
//   Process server({kServerPath, "--dev", "--grpc-address", "127.0.0.1:0"});
//   auto line = server.WaitForLine("weft-server ready", absl::Seconds(30));
//
// Thread safety: not thread-safe; one test thread drives it. A reader thread collects the
// output in the background.
#ifndef WEFT_TESTS_SUPPORT_PROCESS_H_
#define WEFT_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace weft::testing {

class Process {
 public:
  explicit Process(std::vector<std::string> argv);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // The first output line (stdout or stderr) containing `needle`, or nullopt if the deadline
  // passes or the process exits first.
  std::optional<std::string> WaitForLine(const std::string& needle, absl::Duration timeout);
  void Signal(int sig);
  // Waits for the exit and returns the wait status's exit code (or 128+signal).
  int Wait(absl::Duration timeout = absl::Seconds(60));
  bool running() const { return !exited_; }
  std::string Output();  // everything printed so far, for failure messages
  pid_t pid() const { return pid_; }

 private:
  void ReadLoop(int fd);

  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;  // guarded by mu_
  int open_streams_ = 2;            // guarded by mu_
  std::thread out_reader_, err_reader_;
};

// Runs a program to completion (bounded by `timeout`) and returns its exit code and output.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult Run(const std::vector<std::string>& argv, absl::Duration timeout = absl::Seconds(60));

// A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it).
int PickFreePort();

}  // namespace weft::testing

#endif  // WEFT_TESTS_SUPPORT_PROCESS_H_
