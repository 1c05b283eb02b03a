#include "server/common/logging.h"

namespace weft::logs {

telemetry::Logger& App() {
  static telemetry::Logger* l = new telemetry::Logger("app");
  return *l;
}

telemetry::Logger& Auth() {
  static telemetry::Logger* l = new telemetry::Logger("auth");
  return *l;
}

telemetry::Logger& Frontend() {
  static telemetry::Logger* l = new telemetry::Logger("frontend");
  return *l;
}

telemetry::Logger& History() {
  static telemetry::Logger* l = new telemetry::Logger("history");
  return *l;
}

telemetry::Logger& Matching() {
  static telemetry::Logger* l = new telemetry::Logger("matching");
  return *l;
}

telemetry::Logger& Scheduler() {
  static telemetry::Logger* l = new telemetry::Logger("scheduler");
  return *l;
}

}  // namespace weft::logs
