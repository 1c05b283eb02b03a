#include "server/frontend/validation.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace weft::frontend {

absl::Status ValidateId(const std::string& value, const std::string& what, bool required) {
  if (value.empty()) {
    return required ? absl::InvalidArgumentError(absl::StrCat(what, " is required"))
                    : absl::OkStatus();
  }
  if (value.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is ", value.size(), " bytes; the limit is ", kMaxIdLength));
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(what, " must not contain control characters"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePayloads(const api::v1::Payloads& payloads, const std::string& what) {
  size_t total = 0;
  for (const auto& p : payloads.payloads()) total += p.ByteSizeLong();
  if (total > kMaxPayloadBytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is ", total,
                                                   " bytes; payloads are limited to ",
                                                   kMaxPayloadBytes, " bytes (2 MB)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateDuration(const google::protobuf::Duration& d, const std::string& what) {
  if (d.seconds() < 0 || d.nanos() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must not be negative"));
  }
  if (d.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ".nanos must be below 1,000,000,000 (put whole seconds in seconds)"));
  }
  // About 100 years: beyond that a time overflows.
  if (d.seconds() > 3'153'600'000LL) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is longer than 100 years"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRetryPolicy(const api::v1::RetryPolicy& p, const std::string& what) {
  if (auto s = ValidateDuration(p.initial_interval(), what + ".initial_interval"); !s.ok()) {
    return s;
  }
  if (auto s = ValidateDuration(p.maximum_interval(), what + ".maximum_interval"); !s.ok()) {
    return s;
  }
  if (p.backoff_coefficient() != 0 && p.backoff_coefficient() < 1) {
    return absl::InvalidArgumentError(absl::StrCat(what, ".backoff_coefficient must be >= 1"));
  }
  if (p.maximum_attempts() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ".maximum_attempts must be >= 0"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePriority(int32_t priority, const std::string& what) {
  if (priority < 0 || priority > 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " ", priority, " is out of range: use 1 (highest) to 5, or 0 for the default (3)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRatePerSecond(double rate, const std::string& what) {
  if (!std::isfinite(rate) || rate < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be a finite number >= 0 (0: no limit), not ", rate));
  }
  return absl::OkStatus();
}

absl::Status ValidateStart(const api::v1::StartWorkflowExecutionRequest& req) {
  if (auto s = ValidateId(req.workflow_id(), "workflow_id"); !s.ok()) return s;
  if (auto s = ValidateId(req.workflow_type().name(), "workflow_type.name"); !s.ok()) return s;
  if (auto s = ValidateId(req.task_queue().name(), "task_queue.name"); !s.ok()) return s;
  if (auto s = ValidateId(req.request_id(), "request_id", false); !s.ok()) return s;
  if (auto s = ValidateId(req.identity(), "identity", false); !s.ok()) return s;
  if (auto s = ValidatePayloads(req.input(), "input"); !s.ok()) return s;
  if (auto s = ValidateDuration(req.workflow_execution_timeout(), "workflow_execution_timeout");
      !s.ok()) {
    return s;
  }
  if (auto s = ValidateDuration(req.workflow_run_timeout(), "workflow_run_timeout"); !s.ok()) {
    return s;
  }
  if (auto s = ValidateDuration(req.workflow_task_timeout(), "workflow_task_timeout"); !s.ok()) {
    return s;
  }
  if (!api::v1::WorkflowIdReusePolicy_IsValid(req.workflow_id_reuse_policy())) {
    return absl::InvalidArgumentError(absl::StrCat("workflow_id_reuse_policy ",
                                                   req.workflow_id_reuse_policy(),
                                                   " is not a known WorkflowIdReusePolicy value"));
  }
  if (auto s = ValidateRetryPolicy(req.retry_policy(), "retry_policy"); !s.ok()) return s;
  if (auto s = ValidatePriority(req.priority(), "priority"); !s.ok()) return s;
  size_t memo = req.memo().ByteSizeLong();
  if (memo > kMaxPayloadBytes) {
    return absl::InvalidArgumentError(absl::StrCat("memo is ", memo, " bytes; the limit is 2 MB"));
  }
  return absl::OkStatus();
}

absl::Status ValidateCommands(const api::v1::RespondWorkflowTaskCompletedRequest& req) {
  for (int i = 0; i < req.commands_size(); ++i) {
    const auto& c = req.commands(i);
    if (!api::v1::CommandType_IsValid(c.command_type()) ||
        c.command_type() == api::v1::COMMAND_TYPE_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat("command ", i + 1, ": command_type ", c.command_type(), " is not known"));
    }
    std::string where = absl::StrCat("command ", i + 1, " ");
    absl::Status d = absl::OkStatus();
    if (c.has_schedule_activity_task_command_attributes()) {
      const auto& a = c.schedule_activity_task_command_attributes();
      for (auto [dur, name] :
           {std::pair{&a.schedule_to_close_timeout(), "schedule_to_close_timeout"},
            std::pair{&a.schedule_to_start_timeout(), "schedule_to_start_timeout"},
            std::pair{&a.start_to_close_timeout(), "start_to_close_timeout"},
            std::pair{&a.heartbeat_timeout(), "heartbeat_timeout"}}) {
        if (d.ok()) d = ValidateDuration(*dur, where + name);
      }
      if (d.ok()) d = ValidateRetryPolicy(a.retry_policy(), where + "retry_policy");
    } else if (c.has_start_timer_command_attributes()) {
      d = ValidateDuration(c.start_timer_command_attributes().start_to_fire_timeout(),
                           where + "start_to_fire_timeout");
    } else if (c.has_continue_as_new_workflow_execution_command_attributes()) {
      const auto& a = c.continue_as_new_workflow_execution_command_attributes();
      d = ValidateDuration(a.workflow_run_timeout(), where + "workflow_run_timeout");
      if (d.ok()) d = ValidateDuration(a.workflow_task_timeout(), where + "workflow_task_timeout");
    }
    if (!d.ok()) return d;
    const api::v1::Payloads* p = nullptr;
    if (c.has_schedule_activity_task_command_attributes()) {
      p = &c.schedule_activity_task_command_attributes().input();
    } else if (c.has_complete_workflow_execution_command_attributes()) {
      p = &c.complete_workflow_execution_command_attributes().result();
    } else if (c.has_continue_as_new_workflow_execution_command_attributes()) {
      p = &c.continue_as_new_workflow_execution_command_attributes().input();
    }
    if (p != nullptr) {
      if (auto s = ValidatePayloads(*p, absl::StrCat("command ", i + 1, " payload")); !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCircuitBreakerConfig(const api::v1::CircuitBreakerConfig& c) {
  const double rate = c.failure_rate_threshold();
  if (!(rate >= 0 && rate <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "circuit_breaker_config.failure_rate_threshold must be a fraction in (0, 1], e.g. 0.5 "
        "(0: the default 0.5); got ",
        rate));
  }
  if (c.minimum_attempts() < 0) {
    return absl::InvalidArgumentError(
        "circuit_breaker_config.minimum_attempts must not be negative (0: the default 20)");
  }
  if (c.half_open_probes() < 0 || c.half_open_probes() > 1000) {
    return absl::InvalidArgumentError(
        "circuit_breaker_config.half_open_probes must be 0 (the default 1) to 1000");
  }
  if (auto s = ValidateDuration(c.window(), "circuit_breaker_config.window"); !s.ok()) return s;
  return ValidateDuration(c.open_duration(), "circuit_breaker_config.open_duration");
}

}  // namespace weft::frontend
