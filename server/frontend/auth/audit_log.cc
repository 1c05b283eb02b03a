#include "server/frontend/auth/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace weft::frontend::auth {

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open audit log ", path, ": ", std::strerror(errno)));
  }
  std::FILE* f = ::fdopen(fd, "a");
  if (f == nullptr) {
    ::close(fd);
    return absl::InternalError(absl::StrCat("cannot open audit log ", path));
  }
  return std::unique_ptr<AuditLog>(new AuditLog(f, path));
}

AuditLog::~AuditLog() { std::fclose(file_); }

std::string AuditLog::ToJsonLine(const AuditEvent& e) {
  nlohmann::ordered_json j;
  j["time"] = absl::FormatTime("%Y-%m-%d%ET%H:%M:%E3SZ", e.time, absl::UTCTimeZone());
  j["subject"] = e.subject;
  j["auth"] = e.auth_method;
  j["peer"] = e.peer;
  j["method"] = e.method;
  j["namespace"] = e.ns;
  if (!e.target.empty()) j["target"] = e.target;
  j["outcome"] = e.outcome;
  if (!e.message.empty()) j["message"] = e.message;
  // Replace invalid UTF-8 (names come from callers) instead of throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void AuditLog::Write(const AuditEvent& event) {
  std::string line = ToJsonLine(event);
  absl::MutexLock lock(&mu_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

std::vector<AuditEvent> AuditLog::Recent(const std::string& ns, size_t limit) {
  // Bounded work per call: only the last 16 MiB of the file are read.
  constexpr std::streamoff kMaxTail = 16 << 20;
  std::ifstream in(path_, std::ios::binary | std::ios::ate);
  if (!in) return {};
  std::streamoff size = in.tellg();
  std::streamoff start = size > kMaxTail ? size - kMaxTail : 0;
  in.seekg(start);
  std::string line;
  if (start > 0) std::getline(in, line);  // a partial first line
  std::deque<AuditEvent> events;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) continue;
    AuditEvent e;
    e.time_text = j.value("time", "");
    e.subject = j.value("subject", "");
    e.auth_method = j.value("auth", "");
    e.peer = j.value("peer", "");
    e.method = j.value("method", "");
    e.ns = j.value("namespace", "");
    e.target = j.value("target", "");
    e.outcome = j.value("outcome", "");
    e.message = j.value("message", "");
    if (!ns.empty() && e.ns != ns) continue;
    events.push_back(std::move(e));
    if (events.size() > limit) events.pop_front();
  }
  return std::vector<AuditEvent>(events.begin(), events.end());
}

}  // namespace weft::frontend::auth
