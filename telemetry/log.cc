#include "telemetry/log.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace weft::telemetry {
namespace {

class StderrSink : public LogSink {
 public:
  void Write(absl::string_view line) override {
    std::string out(line);
    out.push_back('\n');
    size_t off = 0;
    while (off < out.size()) {
      ssize_t n = ::write(2, out.data() + off, out.size() - off);
      if (n <= 0) return;  // nowhere to report a failure to write the log
      off += static_cast<size_t>(n);
    }
  }
};

struct Registry {
  std::mutex mu;
  int default_level = static_cast<int>(LogLevel::kInfo);
  std::map<std::string, int, std::less<>> component_levels;
  std::vector<Logger*> loggers;
  std::atomic<LogFormat> format{LogFormat::kJson};
  std::shared_ptr<LogSink> sink = std::make_shared<StderrSink>();
  std::vector<std::pair<std::string, std::string>> process_fields;
  std::mutex write_mu;
};

Registry& Reg() {
  // Never destroyed: loggers may write from static destructors and detached threads.
  static Registry* r = new Registry();
  return *r;
}

int LevelFor(const Registry& r, absl::string_view component) {
  auto it = r.component_levels.find(component);
  return it == r.component_levels.end() ? r.default_level : it->second;
}

thread_local std::vector<std::pair<std::string, std::string>> tls_context;

void AppendJsonString(std::string& out, absl::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          static const char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(static_cast<char>(c));  // UTF-8 passes through
        }
    }
  }
  out.push_back('"');
}

void AppendValue(std::string& out, LogFormat format, const LogValue& v) {
  switch (v.kind()) {
    case LogValue::Kind::kString:
      if (format == LogFormat::kJson) {
        AppendJsonString(out, v.str());
      } else if (v.str().find_first_of(" \"=") != absl::string_view::npos || v.str().empty()) {
        AppendJsonString(out, v.str());
      } else {
        out.append(v.str().data(), v.str().size());
      }
      return;
    case LogValue::Kind::kInt:
      absl::StrAppend(&out, v.int_value());
      return;
    case LogValue::Kind::kUint:
      absl::StrAppend(&out, v.uint_value());
      return;
    case LogValue::Kind::kDouble:
      if (std::isfinite(v.double_value())) {
        absl::StrAppend(&out, v.double_value());
      } else {
        out += format == LogFormat::kJson ? "null" : "NaN";
      }
      return;
    case LogValue::Kind::kBool:
      out += v.bool_value() ? "true" : "false";
      return;
  }
}

void AppendField(std::string& out, LogFormat format, absl::string_view key, const LogValue& v) {
  if (format == LogFormat::kJson) {
    out.push_back(',');
    AppendJsonString(out, key);
    out.push_back(':');
  } else {
    out.push_back(' ');
    out.append(key.data(), key.size());
    out.push_back('=');
  }
  AppendValue(out, format, v);
}

}  // namespace

std::optional<LogLevel> ParseLogLevel(absl::string_view name) {
  std::string n = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  if (n == "trace") return LogLevel::kTrace;
  if (n == "debug") return LogLevel::kDebug;
  if (n == "info") return LogLevel::kInfo;
  if (n == "warn" || n == "warning") return LogLevel::kWarn;
  if (n == "error") return LogLevel::kError;
  if (n == "off" || n == "none") return LogLevel::kOff;
  return std::nullopt;
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      return "off";
  }
  return "info";
}

ScopedLogContext::ScopedLogContext() : mark_(tls_context.size()) {}

ScopedLogContext::ScopedLogContext(
    std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields)
    : mark_(tls_context.size()) {
  for (const auto& [k, v] : fields) Add(k, v);
}

ScopedLogContext::~ScopedLogContext() { tls_context.resize(mark_); }

void ScopedLogContext::Add(absl::string_view key, absl::string_view value) {
  if (value.empty()) return;
  tls_context.emplace_back(std::string(key), std::string(value));
}

std::vector<std::pair<std::string, std::string>> CurrentLogContext() { return tls_context; }

Logger::Logger(std::string component) : component_(std::move(component)) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  level_.store(LevelFor(r, component_), std::memory_order_relaxed);
  r.loggers.push_back(this);
}

Logger::~Logger() {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  r.loggers.erase(std::remove(r.loggers.begin(), r.loggers.end(), this), r.loggers.end());
}

std::string FormatLogLine(LogFormat format, LogLevel level, absl::string_view component,
                          absl::string_view message, LogFields fields) {
  std::string out;
  out.reserve(192);
  std::string time = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone());
  if (format == LogFormat::kJson) {
    out += "{\"time\":\"";
    out += time;
    out += "\",\"level\":\"";
    out += LogLevelName(level);
    out += "\",\"component\":";
    AppendJsonString(out, component);
    out += ",\"message\":";
    AppendJsonString(out, message);
  } else {
    out += time;
    out.push_back(' ');
    out += absl::AsciiStrToUpper(LogLevelName(level));
    out.push_back(' ');
    out.append(component.data(), component.size());
    out += ": ";
    out.append(message.data(), message.size());
  }
  // A key given twice keeps its innermost value: explicit fields, then context, then process.
  std::vector<absl::string_view> seen;
  auto fresh = [&seen](absl::string_view key) {
    if (key == "time" || key == "level" || key == "component" || key == "message") return false;
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) return false;
    seen.push_back(key);
    return true;
  };
  std::string fields_out;
  for (const LogField& f : fields) {
    if (fresh(f.key)) AppendField(fields_out, format, f.key, f.value);
  }
  // Deduplicated from the innermost scope out, then written outermost first (namespace
  // before workflow before activity), which is how a reader narrows down.
  std::vector<const std::pair<std::string, std::string>*> context;
  for (auto it = tls_context.rbegin(); it != tls_context.rend(); ++it) {
    if (fresh(it->first)) context.push_back(&*it);
  }
  for (auto it = context.rbegin(); it != context.rend(); ++it) {
    AppendField(out, format, (*it)->first, LogValue((*it)->second));
  }
  // Context first reads better: who, then what.
  out += fields_out;
  {
    Registry& r = Reg();
    std::lock_guard<std::mutex> lock(r.mu);
    for (const auto& [k, v] : r.process_fields) {
      if (fresh(k)) AppendField(out, format, k, LogValue(v));
    }
  }
  if (format == LogFormat::kJson) out.push_back('}');
  return out;
}

void Logger::Write(LogLevel level, absl::string_view message, LogFields fields) const {
  Registry& r = Reg();
  std::string line = FormatLogLine(r.format.load(), level, component_, message, fields);
  std::shared_ptr<LogSink> sink;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    sink = r.sink;
  }
  std::lock_guard<std::mutex> lock(r.write_mu);
  sink->Write(line);
}

void LogRegistry::SetDefaultLevel(LogLevel level) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  r.default_level = static_cast<int>(level);
  r.component_levels.clear();
  for (Logger* l : r.loggers) l->level_.store(r.default_level, std::memory_order_relaxed);
}

LogLevel LogRegistry::DefaultLevel() {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  return static_cast<LogLevel>(r.default_level);
}

void LogRegistry::SetLevel(absl::string_view component, LogLevel level) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  r.component_levels[std::string(component)] = static_cast<int>(level);
  for (Logger* l : r.loggers) {
    if (l->component_ == component) l->level_.store(static_cast<int>(level));
  }
}

std::vector<std::pair<std::string, LogLevel>> LogRegistry::ComponentLevels() {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::pair<std::string, LogLevel>> out;
  for (const auto& [c, l] : r.component_levels) out.emplace_back(c, static_cast<LogLevel>(l));
  return out;
}

bool LogRegistry::Configure(absl::string_view spec) {
  std::optional<LogLevel> default_level;
  std::vector<std::pair<std::string, LogLevel>> levels;
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    size_t eq = part.find('=');
    if (eq == absl::string_view::npos) {
      default_level = ParseLogLevel(part);
      if (!default_level) return false;
      continue;
    }
    absl::string_view component = absl::StripAsciiWhitespace(part.substr(0, eq));
    std::optional<LogLevel> level = ParseLogLevel(part.substr(eq + 1));
    if (component.empty() || !level) return false;
    levels.emplace_back(std::string(component), *level);
  }
  if (default_level) SetDefaultLevel(*default_level);
  for (const auto& [c, l] : levels) SetLevel(c, l);
  return true;
}

void LogRegistry::SetFormat(LogFormat format) { Reg().format.store(format); }

LogFormat LogRegistry::Format() { return Reg().format.load(); }

void LogRegistry::SetSink(std::shared_ptr<LogSink> sink) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  r.sink = sink ? std::move(sink) : std::make_shared<StderrSink>();
}

void LogRegistry::SetProcessField(absl::string_view key, absl::string_view value) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  for (auto& [k, v] : r.process_fields) {
    if (k == key) {
      v = std::string(value);
      return;
    }
  }
  r.process_fields.emplace_back(std::string(key), std::string(value));
}

}  // namespace weft::telemetry
