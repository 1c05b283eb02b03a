#include "server/history/state_rebuilder.h"

#include <gtest/gtest.h>

#include "server/common/proto_time.h"

namespace weft::history {
namespace {

using api::v1::EventType;
using api::v1::HistoryEvent;

class Builder {
 public:
  HistoryEvent& Add(EventType type) {
    HistoryEvent& e = events_.emplace_back();
    e.set_event_id(static_cast<int64_t>(events_.size()));
    e.set_event_type(type);
    *e.mutable_event_time() = ToProto(absl::FromUnixSeconds(1000 + events_.size()));
    return e;
  }
  std::vector<HistoryEvent>& events() { return events_; }

 private:
  std::vector<HistoryEvent> events_;
};

internal::MutableState Identity() {
  internal::MutableState id;
  id.set_namespace_id("ns-id");
  id.set_namespace_name("default");
  id.set_workflow_id("wf");
  id.set_run_id("run-2");
  return id;
}

TEST(StateRebuilderTest, PendingWorkIsWhatHasNoOutcomeYet) {
  Builder b;
  auto& st = b.Add(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  st.mutable_workflow_execution_started_event_attributes()->mutable_workflow_type()->set_name(
      "Order");
  st.mutable_workflow_execution_started_event_attributes()->mutable_task_queue()->set_name("q");
  b.Add(api::v1::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);  // 2
  b.Add(api::v1::EVENT_TYPE_WORKFLOW_TASK_STARTED)     // 3
      .mutable_workflow_task_started_event_attributes()
      ->set_scheduled_event_id(2);
  auto& done = b.Add(api::v1::EVENT_TYPE_WORKFLOW_TASK_COMPLETED);  // 4
  done.mutable_workflow_task_completed_event_attributes()->set_started_event_id(3);
  b.Add(api::v1::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)  // 5: finishes below
      .mutable_activity_task_scheduled_event_attributes()
      ->set_activity_id("a");
  b.Add(api::v1::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)  // 6: still pending
      .mutable_activity_task_scheduled_event_attributes()
      ->set_activity_id("b");
  auto& timer = b.Add(api::v1::EVENT_TYPE_TIMER_STARTED);  // 7
  timer.mutable_timer_started_event_attributes()->set_timer_id("t");
  timer.mutable_timer_started_event_attributes()->mutable_start_to_fire_timeout()->set_seconds(60);
  b.Add(api::v1::EVENT_TYPE_ACTIVITY_TASK_STARTED);  // 8
  b.Add(api::v1::EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
      .mutable_activity_task_completed_event_attributes()
      ->set_scheduled_event_id(5);                     // 9
  b.Add(api::v1::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);  // 10
  b.Add(api::v1::EVENT_TYPE_WORKFLOW_TASK_STARTED)     // 11
      .mutable_workflow_task_started_event_attributes()
      ->set_scheduled_event_id(10);

  auto ms = RebuildMutableState(Identity(), b.events());
  ASSERT_TRUE(ms.ok()) << ms.status();
  EXPECT_EQ(ms->run_id(), "run-2");
  EXPECT_EQ(ms->workflow_type().name(), "Order");
  EXPECT_EQ(ms->task_queue(), "q");
  EXPECT_EQ(ms->status(), api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  EXPECT_EQ(ms->next_event_id(), 12);
  ASSERT_EQ(ms->activities_size(), 1);
  EXPECT_EQ(ms->activities().at(6).activity_id(), "b");
  EXPECT_EQ(ms->activities().at(6).attempt(), 1);
  ASSERT_EQ(ms->timers_size(), 1);
  EXPECT_EQ(FromProto(ms->timers().at("t").fire_time()), absl::FromUnixSeconds(1007 + 60));
  EXPECT_EQ(ms->workflow_task().scheduled_event_id(), 10);
  EXPECT_EQ(ms->workflow_task().started_event_id(), 11);
  EXPECT_EQ(ms->last_workflow_task_started_event_id(), 3);
}

TEST(StateRebuilderTest, RefusesWhatIsNotAPrefixOfARunningRun) {
  Builder b;
  EXPECT_EQ(RebuildMutableState(Identity(), b.events()).status().code(),
            absl::StatusCode::kInvalidArgument);
  b.Add(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  b.Add(api::v1::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  auto closed = RebuildMutableState(Identity(), b.events());
  EXPECT_EQ(closed.status().code(), absl::StatusCode::kInvalidArgument);
  b.events().pop_back();
  b.Add(api::v1::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED).set_event_id(7);  // a gap
  auto gap = RebuildMutableState(Identity(), b.events());
  EXPECT_EQ(gap.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(gap.status().message().find("expected event id 2"), std::string::npos) << gap.status();
}

}  // namespace
}  // namespace weft::history
