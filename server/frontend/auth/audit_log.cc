#include "server/frontend/auth/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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
  return std::unique_ptr<AuditLog>(new AuditLog(f));
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

}  // namespace weft::frontend::auth
