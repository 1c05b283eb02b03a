// weft::Client's schedule calls: thin wrappers over the WorkflowService schedule RPCs.
#include "call_retry.h"
#include "proto_time.h"
#include "uuid.h"
#include "weft/client.h"

namespace weft {
namespace {

template <typename Call>
absl::Status Invoke(Call&& call) {
  return FromGrpcStatus(detail::CallWithRateLimitRetry(std::forward<Call>(call)));
}

}  // namespace

absl::Status Client::CreateSchedule(std::string_view schedule_id, const api::v1::Schedule& schedule,
                                    const api::v1::Memo& memo) {
  api::v1::CreateScheduleRequest req;
  req.set_namespace_(options_.ns);
  req.set_schedule_id(std::string(schedule_id));
  *req.mutable_schedule() = schedule;
  *req.mutable_memo() = memo;
  req.set_identity(options_.identity);
  req.set_request_id(detail::RandomUuid());
  api::v1::CreateScheduleResponse resp;
  return Invoke([&](grpc::ClientContext* ctx) { return stub_->CreateSchedule(ctx, req, &resp); });
}

absl::StatusOr<api::v1::DescribeScheduleResponse> Client::DescribeSchedule(
    std::string_view schedule_id) {
  api::v1::DescribeScheduleRequest req;
  req.set_namespace_(options_.ns);
  req.set_schedule_id(std::string(schedule_id));
  api::v1::DescribeScheduleResponse resp;
  absl::Status s =
      Invoke([&](grpc::ClientContext* ctx) { return stub_->DescribeSchedule(ctx, req, &resp); });
  if (!s.ok()) return s;
  return resp;
}

absl::Status Client::UpdateSchedule(std::string_view schedule_id, const api::v1::Schedule& schedule,
                                    std::string_view conflict_token) {
  api::v1::UpdateScheduleRequest req;
  req.set_namespace_(options_.ns);
  req.set_schedule_id(std::string(schedule_id));
  *req.mutable_schedule() = schedule;
  req.set_conflict_token(std::string(conflict_token));
  req.set_identity(options_.identity);
  req.set_request_id(detail::RandomUuid());
  api::v1::UpdateScheduleResponse resp;
  return Invoke([&](grpc::ClientContext* ctx) { return stub_->UpdateSchedule(ctx, req, &resp); });
}

absl::StatusOr<api::v1::ListSchedulesResponse> Client::ListSchedules(int page_size,
                                                                     std::string_view page_token) {
  api::v1::ListSchedulesRequest req;
  req.set_namespace_(options_.ns);
  req.set_maximum_page_size(page_size);
  req.set_next_page_token(std::string(page_token));
  api::v1::ListSchedulesResponse resp;
  absl::Status s =
      Invoke([&](grpc::ClientContext* ctx) { return stub_->ListSchedules(ctx, req, &resp); });
  if (!s.ok()) return s;
  return resp;
}

namespace {
api::v1::PatchScheduleRequest PatchRequest(const std::string& ns, std::string_view schedule_id,
                                           const std::string& identity) {
  api::v1::PatchScheduleRequest req;
  req.set_namespace_(ns);
  req.set_schedule_id(std::string(schedule_id));
  req.set_identity(identity);
  req.set_request_id(detail::RandomUuid());
  return req;
}
}  // namespace

absl::Status Client::PauseSchedule(std::string_view schedule_id, std::string_view note) {
  auto req = PatchRequest(options_.ns, schedule_id, options_.identity);
  req.mutable_patch()->set_pause(note.empty() ? "paused" : std::string(note));
  api::v1::PatchScheduleResponse resp;
  return Invoke([&](grpc::ClientContext* ctx) { return stub_->PatchSchedule(ctx, req, &resp); });
}

absl::Status Client::UnpauseSchedule(std::string_view schedule_id, std::string_view note) {
  auto req = PatchRequest(options_.ns, schedule_id, options_.identity);
  req.mutable_patch()->set_unpause(note.empty() ? "unpaused" : std::string(note));
  api::v1::PatchScheduleResponse resp;
  return Invoke([&](grpc::ClientContext* ctx) { return stub_->PatchSchedule(ctx, req, &resp); });
}

absl::Status Client::TriggerSchedule(std::string_view schedule_id,
                                     api::v1::ScheduleOverlapPolicy overlap_policy) {
  auto req = PatchRequest(options_.ns, schedule_id, options_.identity);
  req.mutable_patch()->mutable_trigger_immediately()->set_overlap_policy(overlap_policy);
  api::v1::PatchScheduleResponse resp;
  return Invoke([&](grpc::ClientContext* ctx) { return stub_->PatchSchedule(ctx, req, &resp); });
}

absl::Status Client::BackfillSchedule(std::string_view schedule_id,
                                      std::chrono::system_clock::time_point start,
                                      std::chrono::system_clock::time_point end,
                                      api::v1::ScheduleOverlapPolicy overlap_policy) {
  auto req = PatchRequest(options_.ns, schedule_id, options_.identity);
  auto* b = req.mutable_patch()->add_backfill_request();
  *b->mutable_start_time() = detail::ToProtoTimestamp(start);
  *b->mutable_end_time() = detail::ToProtoTimestamp(end);
  b->set_overlap_policy(overlap_policy);
  api::v1::PatchScheduleResponse resp;
  return Invoke([&](grpc::ClientContext* ctx) { return stub_->PatchSchedule(ctx, req, &resp); });
}

absl::Status Client::DeleteSchedule(std::string_view schedule_id) {
  api::v1::DeleteScheduleRequest req;
  req.set_namespace_(options_.ns);
  req.set_schedule_id(std::string(schedule_id));
  req.set_identity(options_.identity);
  api::v1::DeleteScheduleResponse resp;
  return Invoke([&](grpc::ClientContext* ctx) { return stub_->DeleteSchedule(ctx, req, &resp); });
}

}  // namespace weft
