// The open-timers load of weft-bench (`weft-bench --timer-workflows N`): N workflows that each
// sleep on one durable timer, all open at once, to measure what the server holds in memory
// for them (peak RSS) and how late their timers fire (the server's
// weft_history_timer_delay_seconds histogram, scraped before and after).
//
// Unlike the closed loop it does not wait for results per workflow (that would take one
// client thread per open workflow): a few threads start the workflows, then it counts the
// still-running ones through visibility until none is left.
//
// Thread safety: RunTimerLoad is called once from main and owns every thread it starts.
#ifndef WEFT_BENCH_TIMER_LOAD_H_
#define WEFT_BENCH_TIMER_LOAD_H_

#include <string>

namespace weft::bench {

struct TimerLoadOptions {
  std::string address;
  std::string ns;
  std::string task_queue;   // empty: a unique name
  int workflows = 0;        // how many timer workflows to start
  int timer_seconds = 120;  // each workflow's timer; longer than the start phase, so all overlap
  int start_threads = 16;   // client threads that start workflows
  std::string metrics_url;  // the server's /metrics, e.g. http://127.0.0.1:7234/metrics
  int server_pid = 0;       // for the server's peak RSS (from /proc); 0: not reported
  bool json = false;
};

// Runs the load and prints a summary (or one JSON line). Returns the exit status: 0 when every
// workflow started and completed in time, 1 otherwise, 2 when the server cannot be reached.
int RunTimerLoad(const TimerLoadOptions& options);

}  // namespace weft::bench

#endif  // WEFT_BENCH_TIMER_LOAD_H_
