// AuditLog: one JSON object per line for every write operation and every denial: when, who
// (subject and how they authenticated), from where, what (the RPC), which namespace, the
// target (workflow id, API key id, ...), and the outcome (a gRPC code name and message).
//
//   {"time":"2026-11-22T10:00:00.123Z","subject":"alice","auth":"jwt","peer":"ipv4:10.0.0.7",
//    "method":"StartWorkflowExecution","namespace":"default","target":"order-17",
//    "outcome":"OK"}
//
// Secrets never reach it: callers pass ids, never tokens or API key secrets.
//
// Thread safety: thread-safe; lines are written whole. Ownership: owns its file.
#ifndef WEFT_SERVER_FRONTEND_AUTH_AUDIT_LOG_H_
#define WEFT_SERVER_FRONTEND_AUTH_AUDIT_LOG_H_

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace weft::frontend::auth {

struct AuditEvent {
  absl::Time time;
  std::string time_text;  // as written, filled by Recent()
  std::string subject;    // empty when authentication failed
  std::string auth_method;
  std::string peer;
  std::string method;
  std::string ns;
  std::string target;
  std::string outcome;  // "OK", "PERMISSION_DENIED", ...
  std::string message;  // the error message; empty for OK
};

class AuditLog {
 public:
  // Appends to `path`, creating it (mode 0600).
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path);
  ~AuditLog();

  void Write(const AuditEvent& event);
  static std::string ToJsonLine(const AuditEvent& event);

  // The newest `limit` events (newest last), only those of namespace `ns` unless it is
  // empty. Reads the file's tail; lines that do not parse are skipped.
  std::vector<AuditEvent> Recent(const std::string& ns, size_t limit);

 private:
  AuditLog(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}

  absl::Mutex mu_;
  std::FILE* const file_ ABSL_PT_GUARDED_BY(mu_);
  const std::string path_;
};

}  // namespace weft::frontend::auth

#endif  // WEFT_SERVER_FRONTEND_AUTH_AUDIT_LOG_H_
