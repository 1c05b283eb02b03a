// The server's component loggers (telemetry/log.h): one telemetry::Logger per part of
// weft-server, named as operators see them in the `component` field and in
// `weft log-level set LEVEL --component C`.
//
//   logs::History().Warn("workflow task failed", {{"workflow_id", id}, {"cause", cause}});
//
// The names are listed in kServerLogComponents so the admin API can tell an operator which
// components exist. Storage, which never includes server code, keeps its own "storage"
// logger (storage/store.cc).
//
// Thread safety: the loggers are function-local statics, created on first use and never
// destroyed before exit; they may be used from any thread.
#ifndef WEFT_SERVER_COMMON_LOGGING_H_
#define WEFT_SERVER_COMMON_LOGGING_H_

#include "telemetry/log.h"

namespace weft::logs {

// Every component of weft-server, in the order `weft log-level` prints them.
inline constexpr const char* kServerLogComponents[] = {
    "app", "auth", "frontend", "history", "matching", "scheduler", "storage"};

telemetry::Logger& App();        // start, stop, configuration
telemetry::Logger& Auth();       // authentication and authorization decisions
telemetry::Logger& Frontend();   // RPCs
telemetry::Logger& History();    // shards, workflow and activity state changes, queues
telemetry::Logger& Matching();   // task queues and dispatch
telemetry::Logger& Scheduler();  // schedules

}  // namespace weft::logs

#endif  // WEFT_SERVER_COMMON_LOGGING_H_
