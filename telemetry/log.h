// Structured logging shared by the server and the worker SDK: one JSON object a line (or a
// human-readable line with `LogFormat::kText`), with per-component levels that can be changed
// while the process runs.
//
//   static telemetry::Logger& Log() { static telemetry::Logger l("history"); return l; }
//   Log().Info("workflow task completed", {{"commands", 3}});
//   // {"time":"2026-11-22T06:30:00.123456Z","level":"info","component":"history",
//   //  "message":"workflow task completed","namespace":"default",...,"commands":3}
//
// Fields known for the work at hand (namespace, workflow_id, run_id, request_id, trace_id ...)
// are set once per request with a ScopedLogContext and added to every line the thread writes
// while it lives, so code deep in the call chain does not have to pass them along.
//
// Thread safety: everything here may be used from any thread. A Logger's level is an atomic,
// so a disabled level costs one relaxed load. Lines are written whole (one write under a
// mutex). Ownership: Loggers register with the process-wide registry and must outlive their
// use (function-local statics are the intended form); the registry owns the sink.
#ifndef WEFT_TELEMETRY_LOG_H_
#define WEFT_TELEMETRY_LOG_H_

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace weft::telemetry {

enum class LogLevel { kTrace = 0, kDebug = 1, kInfo = 2, kWarn = 3, kError = 4, kOff = 5 };

// "trace", "debug", "info", "warn" (or "warning"), "error", "off"; case-insensitive.
std::optional<LogLevel> ParseLogLevel(absl::string_view name);
const char* LogLevelName(LogLevel level);

enum class LogFormat { kJson, kText };

// One value of a log field; strings are copied only when the line is written.
class LogValue {
 public:
  enum class Kind { kString, kInt, kUint, kDouble, kBool };
  LogValue(absl::string_view v) : kind_(Kind::kString), str_(v) {}
  LogValue(const std::string& v) : kind_(Kind::kString), str_(v) {}
  LogValue(const char* v) : kind_(Kind::kString), str_(v == nullptr ? "" : v) {}
  LogValue(int v) : kind_(Kind::kInt), int_(v) {}
  LogValue(long v) : kind_(Kind::kInt), int_(v) {}
  LogValue(long long v) : kind_(Kind::kInt), int_(v) {}
  LogValue(unsigned v) : kind_(Kind::kUint), uint_(v) {}
  LogValue(unsigned long v) : kind_(Kind::kUint), uint_(v) {}
  LogValue(unsigned long long v) : kind_(Kind::kUint), uint_(v) {}
  LogValue(double v) : kind_(Kind::kDouble), double_(v) {}
  LogValue(bool v) : kind_(Kind::kBool), bool_(v) {}

  Kind kind() const { return kind_; }
  absl::string_view str() const { return str_; }
  int64_t int_value() const { return int_; }
  uint64_t uint_value() const { return uint_; }
  double double_value() const { return double_; }
  bool bool_value() const { return bool_; }

 private:
  Kind kind_;
  absl::string_view str_;
  int64_t int_ = 0;
  uint64_t uint_ = 0;
  double double_ = 0;
  bool bool_ = false;
};

struct LogField {
  absl::string_view key;
  LogValue value;
};
using LogFields = std::initializer_list<LogField>;

// Where finished lines go. The default writes to stderr.
class LogSink {
 public:
  virtual ~LogSink() = default;
  // `line` has no trailing newline. Called under the registry's write mutex.
  virtual void Write(absl::string_view line) = 0;
};

// Adds fields to every line this thread writes while the object lives; nests (inner scopes
// add to, and may override, outer ones). Empty values are left out. Not movable: it must be
// destroyed on the thread that made it, in reverse order of creation.
class ScopedLogContext {
 public:
  ScopedLogContext();
  explicit ScopedLogContext(
      std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields);
  ~ScopedLogContext();
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

  // Adds one more field to this scope (e.g. a run id learned halfway through a request).
  void Add(absl::string_view key, absl::string_view value);

 private:
  size_t mark_;
};

// The current thread's context fields, outermost first (for tests and for handing the
// context to another thread).
std::vector<std::pair<std::string, std::string>> CurrentLogContext();

// A named component's logger. Cheap to call when its level is off.
class Logger {
 public:
  explicit Logger(std::string component);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  const std::string& component() const { return component_; }
  bool Enabled(LogLevel level) const {
    return static_cast<int>(level) >= level_.load(std::memory_order_relaxed);
  }

  void Log(LogLevel level, absl::string_view message, LogFields fields = {}) const {
    if (Enabled(level)) Write(level, message, fields);
  }
  void Trace(absl::string_view m, LogFields f = {}) const { Log(LogLevel::kTrace, m, f); }
  void Debug(absl::string_view m, LogFields f = {}) const { Log(LogLevel::kDebug, m, f); }
  void Info(absl::string_view m, LogFields f = {}) const { Log(LogLevel::kInfo, m, f); }
  void Warn(absl::string_view m, LogFields f = {}) const { Log(LogLevel::kWarn, m, f); }
  void Error(absl::string_view m, LogFields f = {}) const { Log(LogLevel::kError, m, f); }

 private:
  friend class LogRegistry;
  void Write(LogLevel level, absl::string_view message, LogFields fields) const;

  std::string component_;
  std::atomic<int> level_;
};

// The process-wide settings: levels, format, sink and fixed fields (e.g. the worker identity).
class LogRegistry {
 public:
  static void SetDefaultLevel(LogLevel level);  // also clears every per-component level
  static LogLevel DefaultLevel();
  // Sets one component's level (the component need not exist yet).
  static void SetLevel(absl::string_view component, LogLevel level);
  // Components with a level of their own, sorted by name.
  static std::vector<std::pair<std::string, LogLevel>> ComponentLevels();
  // Applies "info" or "info,history=debug,matching=warn". Returns false (and changes nothing)
  // when a part does not parse.
  static bool Configure(absl::string_view spec);

  static void SetFormat(LogFormat format);
  static LogFormat Format();
  // nullptr restores stderr.
  static void SetSink(std::shared_ptr<LogSink> sink);
  // Fields added to every line of the process (after the context fields).
  static void SetProcessField(absl::string_view key, absl::string_view value);
};

// Renders one line the way Logger does (no trailing newline); for sinks and tests.
std::string FormatLogLine(LogFormat format, LogLevel level, absl::string_view component,
                          absl::string_view message, LogFields fields);

}  // namespace weft::telemetry

#endif  // WEFT_TELEMETRY_LOG_H_
