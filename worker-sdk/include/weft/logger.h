// weft::TaskLogger: the logger workflow and activity code gets from its context
// (ctx.logger()). Lines go through the SDK's structured log (telemetry/log.h, component
// "worker": JSON lines on stderr unless WorkerOptions or WEFT_LOG_LEVEL / WEFT_LOG_FORMAT say
// otherwise) and carry the task's fields: namespace, workflow_id, run_id, activity_id,
// attempt, task_queue, trace_id and span_id.
//
//   ctx.logger().Info("charging card", {{"amount_cents", 1250}});
//
// A workflow's logger is replay-aware: while the SDK replays history it writes nothing, so a
// line appears once per workflow decision, not once per replay (like Temporal's
// workflow.GetLogger).
//
// Thread safety: a TaskLogger is a small value; copies may be used from any thread, but the
// task's fields are added only to lines written on the thread running the task. It refers to
// the process-wide SDK logger, which lives as long as the process.
#ifndef WEFT_LOGGER_H_
#define WEFT_LOGGER_H_

#include <functional>
#include <utility>

#include "absl/strings/string_view.h"
#include "telemetry/log.h"

namespace weft {

class TaskLogger {
 public:
  // `silenced`, if set, is asked before each line; true drops it (workflow replay).
  explicit TaskLogger(const telemetry::Logger& logger, std::function<bool()> silenced = nullptr)
      : logger_(&logger), silenced_(std::move(silenced)) {}

  void Debug(absl::string_view m, telemetry::LogFields f = {}) const {
    Log(telemetry::LogLevel::kDebug, m, f);
  }
  void Info(absl::string_view m, telemetry::LogFields f = {}) const {
    Log(telemetry::LogLevel::kInfo, m, f);
  }
  void Warn(absl::string_view m, telemetry::LogFields f = {}) const {
    Log(telemetry::LogLevel::kWarn, m, f);
  }
  void Error(absl::string_view m, telemetry::LogFields f = {}) const {
    Log(telemetry::LogLevel::kError, m, f);
  }
  void Log(telemetry::LogLevel level, absl::string_view m, telemetry::LogFields f = {}) const {
    if (!logger_->Enabled(level) || (silenced_ && silenced_())) return;
    logger_->Log(level, m, f);
  }

 private:
  const telemetry::Logger* logger_;
  std::function<bool()> silenced_;
};

}  // namespace weft

#endif  // WEFT_LOGGER_H_
