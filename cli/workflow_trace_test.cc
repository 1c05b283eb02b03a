// Unit tests of the timeline builder on hand-built histories: exact offsets, durations and
// phases of workflow tasks, activities with retries, timers, signals, children and the close,
// and the pending items of a running run.
#include "cli/workflow_trace.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "absl/time/time.h"
#include "cli/duration.h"

namespace weft::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace v1 = ::weft::api::v1;

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

google::protobuf::Timestamp At(int64_t ms) {
  const absl::Time t = kStart + absl::Milliseconds(ms);
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  ts.set_nanos(static_cast<int32_t>((absl::ToUnixNanos(t) % 1'000'000'000)));
  return ts;
}

// Appends events with consecutive ids at chosen offsets from kStart.
class History {
 public:
  v1::HistoryEvent* Add(v1::EventType type, int64_t at_ms) {
    v1::HistoryEvent* e = history_.add_events();
    e->set_event_id(history_.events_size());
    e->set_event_type(type);
    *e->mutable_event_time() = At(at_ms);
    return e;
  }
  void Started() {
    auto* a = Add(v1::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 0)
                  ->mutable_workflow_execution_started_event_attributes();
    a->mutable_workflow_type()->set_name("Wf");
    a->mutable_task_queue()->set_name("q");
  }
  // Scheduled, started and completed events of one workflow task; returns the scheduled id.
  int64_t WorkflowTask(int64_t scheduled, int64_t started, int64_t completed, int attempt = 1) {
    auto* s = Add(v1::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, scheduled);
    s->mutable_workflow_task_scheduled_event_attributes()->set_attempt(attempt);
    const int64_t id = s->event_id();
    auto* st = Add(v1::EVENT_TYPE_WORKFLOW_TASK_STARTED, started)
                   ->mutable_workflow_task_started_event_attributes();
    st->set_scheduled_event_id(id);
    st->set_identity("wf-worker");
    auto* c = Add(v1::EVENT_TYPE_WORKFLOW_TASK_COMPLETED, completed)
                  ->mutable_workflow_task_completed_event_attributes();
    c->set_scheduled_event_id(id);
    c->set_started_event_id(id + 1);
    return id;
  }
  int64_t ActivityScheduled(int64_t at, const std::string& id, const std::string& type) {
    auto* e = Add(v1::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, at);
    auto* a = e->mutable_activity_task_scheduled_event_attributes();
    a->set_activity_id(id);
    a->mutable_activity_type()->set_name(type);
    return e->event_id();
  }
  v1::HistoryEvent* Event(int index) { return history_.mutable_events(index); }
  const v1::History& history() const { return history_; }

 private:
  v1::History history_;
};

v1::DescribeWorkflowExecutionResponse Describe(v1::WorkflowExecutionStatus status,
                                               int64_t close_ms = -1) {
  v1::DescribeWorkflowExecutionResponse d;
  auto* info = d.mutable_workflow_execution_info();
  info->mutable_execution()->set_workflow_id("wf-1");
  info->mutable_execution()->set_run_id("run-1");
  info->mutable_type()->set_name("Wf");
  info->set_task_queue("q");
  info->set_status(status);
  *info->mutable_start_time() = At(0);
  if (close_ms >= 0) *info->mutable_close_time() = At(close_ms);
  return d;
}

std::vector<std::string> Kinds(const WorkflowTrace& t) {
  std::vector<std::string> out;
  for (const auto& s : t.steps) out.push_back(s.kind);
  return out;
}

int64_t Phase(const TraceStep& s, const std::string& name) {
  for (const auto& p : s.phases) {
    if (p.name == name) return p.ms;
  }
  return -1;
}

// A completed run: a workflow task, an activity that succeeded on attempt 3, a one-second
// timer and a signal meanwhile, two more workflow tasks and the close.
TEST(WorkflowTraceTest, CompletedRunWithRetriedActivityTimerAndSignal) {
  History h;
  h.Started();
  h.Event(0)->mutable_trace_context()->set_traceparent(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  h.WorkflowTask(0, 5, 12);                                    // events 2-4
  const int64_t act = h.ActivityScheduled(12, "1", "Charge");  // 5
  auto* timer = h.Add(v1::EVENT_TYPE_TIMER_STARTED, 12)        // 6
                    ->mutable_timer_started_event_attributes();
  timer->set_timer_id("t1");
  *timer->mutable_start_to_fire_timeout() = ToProtoDuration(absl::Seconds(1));
  auto* sig = h.Add(v1::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, 300)  // 7
                  ->mutable_workflow_execution_signaled_event_attributes();
  sig->set_signal_name("approve");
  sig->set_identity("ops@cli");
  h.WorkflowTask(300, 302, 310);           // 8-10
  h.Add(v1::EVENT_TYPE_TIMER_FIRED, 1012)  // 11
      ->mutable_timer_fired_event_attributes()
      ->set_started_event_id(6);
  // Written when attempt 3 closed, dated when it started.
  auto* st = h.Add(v1::EVENT_TYPE_ACTIVITY_TASK_STARTED, 900)  // 12
                 ->mutable_activity_task_started_event_attributes();
  st->set_scheduled_event_id(act);
  st->set_attempt(3);
  st->set_identity("act-worker");
  st->mutable_last_failure()->set_message("card declined");
  st->mutable_last_failure()->set_type("CardError");
  auto* done = h.Add(v1::EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 1500)  // 13
                   ->mutable_activity_task_completed_event_attributes();
  done->set_scheduled_event_id(act);
  done->set_started_event_id(12);
  done->set_identity("act-worker");
  h.WorkflowTask(1500, 1510, 1520);                          // 14-16
  h.Add(v1::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 1520);  // 17

  const WorkflowTrace t =
      BuildWorkflowTrace(Describe(v1::WORKFLOW_EXECUTION_STATUS_COMPLETED, 1520), h.history(),
                         kStart + absl::Hours(1));

  EXPECT_EQ(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(t.duration_ms, 1520);
  EXPECT_EQ(t.start_time, "2027-01-15T08:00:00.000Z");
  EXPECT_EQ(t.close_time, "2027-01-15T08:00:01.520Z");
  EXPECT_THAT(Kinds(t), ElementsAre("workflow_task", "activity", "timer", "signal", "workflow_task",
                                    "workflow_task", "close"));
  const TraceStep& wt = t.steps[0];
  EXPECT_EQ(wt.start_offset_ms, 0);
  EXPECT_EQ(wt.duration_ms, 12);
  EXPECT_EQ(Phase(wt, "schedule_to_start"), 5);
  EXPECT_EQ(Phase(wt, "execution"), 7);
  EXPECT_EQ(wt.outcome, "completed");
  EXPECT_EQ(wt.identity, "wf-worker");
  EXPECT_THAT(wt.event_ids, ElementsAre(2, 3, 4));

  const TraceStep& a = t.steps[1];
  EXPECT_EQ(a.name, "Charge");
  EXPECT_EQ(a.id, "1");
  EXPECT_EQ(a.start_offset_ms, 12);
  EXPECT_EQ(a.duration_ms, 1488);
  EXPECT_EQ(Phase(a, "schedule_to_start"), 888);
  EXPECT_EQ(Phase(a, "execution"), 600);
  EXPECT_EQ(a.attempt, 3);
  EXPECT_EQ(a.outcome, "completed");
  EXPECT_EQ(a.identity, "act-worker");
  EXPECT_EQ(a.last_failure, "\"card declined\" type=CardError");
  EXPECT_THAT(a.event_ids, ElementsAre(5, 12, 13));

  const TraceStep& timer_step = t.steps[2];
  EXPECT_EQ(timer_step.id, "t1");
  EXPECT_EQ(timer_step.start_offset_ms, 12);
  EXPECT_EQ(timer_step.duration_ms, 1000);
  EXPECT_EQ(timer_step.requested_ms, 1000);
  EXPECT_EQ(timer_step.outcome, "fired");
  EXPECT_TRUE(timer_step.phases.empty());

  EXPECT_EQ(t.steps[3].name, "approve");
  EXPECT_EQ(t.steps[3].start_offset_ms, 300);
  EXPECT_EQ(t.steps[3].duration_ms, 0);
  EXPECT_EQ(t.steps[3].identity, "ops@cli");
  EXPECT_EQ(t.steps[4].start_offset_ms, 300);
  EXPECT_EQ(t.steps[4].duration_ms, 10);
  EXPECT_EQ(t.steps[6].outcome, "completed");
  EXPECT_EQ(t.steps[6].start_offset_ms, 1520);
  EXPECT_TRUE(t.pending.empty());

  EXPECT_EQ(t.totals.workflow_tasks, 3);
  EXPECT_EQ(t.totals.workflow_task_ms, 7 + 8 + 10);
  EXPECT_EQ(t.totals.queue_wait_ms, 5 + 2 + 10);  // the retried activity's wait is not here
  EXPECT_EQ(t.totals.retry_wait_ms, 888);
  EXPECT_EQ(t.totals.activity_execution_ms, 600);
  EXPECT_EQ(t.totals.activities, 1);
  EXPECT_EQ(t.totals.timer_ms, 1000);
  EXPECT_EQ(t.totals.timers, 1);

  const std::string text = FormatTraceText(t);
  EXPECT_THAT(text, HasSubstr("Trace ID:     4bf92f3577b34da6a3ce929d0e0e4736\n"));
  EXPECT_THAT(text, HasSubstr("Duration:     1.520s\n"));
  EXPECT_THAT(text, HasSubstr("+0.012s    1.488s  activity Charge (id 1)  completed  attempt 3; "
                              "schedule-to-start 0.888s + execution 0.600s (the wait includes 2 "
                              "earlier attempts and backoff); by act-worker\n"));
  EXPECT_THAT(text, HasSubstr("last failure (attempt 2): \"card declined\" type=CardError\n"));
  EXPECT_THAT(
      text, HasSubstr("+0.012s    1.000s  timer t1                fired      requested 1.000s\n"));
  EXPECT_THAT(text, HasSubstr("+0.000s    0.012s  workflow task           completed  queue 0.005s "
                              "+ worker 0.007s; by wf-worker\n"));
  EXPECT_THAT(text,
              HasSubstr("+1.520s         -  close                   completed  result null\n"));
  EXPECT_THAT(text, HasSubstr("Waiting on activity retries:  0.888s\n"));
  EXPECT_EQ(text.find("Pending:"), std::string::npos);

  const nlohmann::json j = nlohmann::json::parse(FormatTraceJson(t));
  EXPECT_EQ(j["workflow_id"], "wf-1");
  EXPECT_EQ(j["run_id"], "run-1");
  EXPECT_EQ(j["status"], "WORKFLOW_EXECUTION_STATUS_COMPLETED");
  EXPECT_EQ(j["duration_ms"], 1520);
  EXPECT_EQ(j["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(j["close_time"], "2027-01-15T08:00:01.520Z");
  ASSERT_EQ(j["steps"].size(), 7u);
  const auto& ja = j["steps"][1];
  EXPECT_EQ(ja["kind"], "activity");
  EXPECT_EQ(ja["name"], "Charge");
  EXPECT_EQ(ja["id"], "1");
  EXPECT_EQ(ja["start_offset_ms"], 12);
  EXPECT_EQ(ja["duration_ms"], 1488);
  EXPECT_EQ(ja["phases"],
            nlohmann::json::parse(R"({"schedule_to_start_ms":888,"execution_ms":600})"));
  EXPECT_EQ(ja["attempt"], 3);
  EXPECT_EQ(ja["outcome"], "completed");
  EXPECT_EQ(ja["identity"], "act-worker");
  EXPECT_EQ(ja["event_ids"], nlohmann::json::parse("[5,12,13]"));
  EXPECT_EQ(j["steps"][2]["requested_ms"], 1000);
  EXPECT_FALSE(j["steps"][3].contains("phases"));
  EXPECT_EQ(j["steps"][6]["kind"], "close");
  EXPECT_EQ(j["pending"], nlohmann::json::array());
  EXPECT_EQ(j["totals"]["retry_wait_ms"], 888);
  EXPECT_EQ(j["totals"]["queue_wait_ms"], 17);
}

// A running run: a failed workflow task and its retry, an activity running, one in retry
// backoff, a timer and a child still open, and a workflow task waiting for a worker.
TEST(WorkflowTraceTest, RunningRunShowsFailedTaskOpenStepsAndPendingItems) {
  History h;
  h.Started();
  auto* s1 = h.Add(v1::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 0);  // 2
  s1->mutable_workflow_task_scheduled_event_attributes()->set_attempt(1);
  auto* st1 = h.Add(v1::EVENT_TYPE_WORKFLOW_TASK_STARTED, 10)  // 3
                  ->mutable_workflow_task_started_event_attributes();
  st1->set_scheduled_event_id(2);
  st1->set_identity("bad-worker");
  auto* f1 = h.Add(v1::EVENT_TYPE_WORKFLOW_TASK_FAILED, 20)  // 4
                 ->mutable_workflow_task_failed_event_attributes();
  f1->set_scheduled_event_id(2);
  f1->set_started_event_id(3);
  f1->set_cause(v1::WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR);
  f1->mutable_failure()->set_message("command 1 does not match event 5");
  h.WorkflowTask(20, 25, 40, /*attempt=*/2);                       // 5-7
  auto* retry = h.Add(v1::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 40)  // 8
                    ->mutable_activity_task_scheduled_event_attributes();
  retry->set_activity_id("b");
  retry->mutable_activity_type()->set_name("Flaky");
  *retry->mutable_retry_policy()->mutable_initial_interval() = ToProtoDuration(absl::Seconds(1));
  retry->mutable_retry_policy()->set_backoff_coefficient(2);
  h.ActivityScheduled(40, "a", "Slow");                  // 9
  auto* timer = h.Add(v1::EVENT_TYPE_TIMER_STARTED, 40)  // 10
                    ->mutable_timer_started_event_attributes();
  timer->set_timer_id("t");
  *timer->mutable_start_to_fire_timeout() = ToProtoDuration(absl::Seconds(60));
  auto* child = h.Add(v1::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, 40)  // 11
                    ->mutable_start_child_workflow_execution_initiated_event_attributes();
  child->set_workflow_id("child-1");
  child->mutable_workflow_type()->set_name("Kid");
  auto* cs = h.Add(v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, 50)  // 12
                 ->mutable_child_workflow_execution_started_event_attributes();
  cs->set_initiated_event_id(11);
  cs->mutable_workflow_execution()->set_run_id("child-run");
  h.Add(v1::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 60)  // 13
      ->mutable_workflow_task_scheduled_event_attributes()
      ->set_attempt(1);

  v1::DescribeWorkflowExecutionResponse d = Describe(v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  auto* pb = d.add_pending_activities();
  pb->set_activity_id("b");
  pb->mutable_activity_type()->set_name("Flaky");
  pb->set_state("BACKOFF");
  pb->set_attempt(3);
  pb->set_maximum_attempts(5);
  *pb->mutable_scheduled_time() = At(500);
  *pb->mutable_last_started_time() = At(500);
  pb->mutable_last_failure()->set_message("flaky");
  auto* pa = d.add_pending_activities();
  pa->set_activity_id("a");
  pa->mutable_activity_type()->set_name("Slow");
  pa->set_state("STARTED");
  pa->set_attempt(1);
  *pa->mutable_scheduled_time() = At(40);
  *pa->mutable_last_started_time() = At(100);
  *pa->mutable_last_heartbeat_time() = At(700);
  pa->set_last_worker_identity("act-worker");
  auto* pt = d.add_pending_timers();
  pt->set_timer_id("t");
  *pt->mutable_fire_time() = At(60'040);
  auto* pc = d.add_pending_children();
  pc->set_workflow_id("child-1");
  pc->set_workflow_type_name("Kid");
  pc->set_run_id("child-run");

  const WorkflowTrace t = BuildWorkflowTrace(d, h.history(), kStart + absl::Seconds(1));
  EXPECT_EQ(t.duration_ms, 1000);
  EXPECT_EQ(t.close_time, "");
  EXPECT_EQ(t.trace_id, "");
  EXPECT_THAT(Kinds(t), ElementsAre("workflow_task", "workflow_task", "activity", "activity",
                                    "timer", "child_workflow", "workflow_task"));
  const TraceStep& failed = t.steps[0];
  EXPECT_EQ(failed.outcome, "failed");
  EXPECT_EQ(failed.duration_ms, 20);
  EXPECT_EQ(Phase(failed, "schedule_to_start"), 10);
  EXPECT_EQ(Phase(failed, "execution"), 10);
  EXPECT_EQ(failed.detail, "cause NON_DETERMINISTIC_ERROR");
  EXPECT_EQ(failed.failure, "\"command 1 does not match event 5\"");
  EXPECT_EQ(failed.identity, "bad-worker");
  EXPECT_EQ(t.steps[1].attempt, 2);
  EXPECT_EQ(t.steps[1].outcome, "completed");

  const TraceStep& b = t.steps[2];  // in backoff: all of its time so far is waiting
  EXPECT_EQ(b.id, "b");
  EXPECT_EQ(b.outcome, "pending");
  EXPECT_TRUE(b.open);
  EXPECT_EQ(b.attempt, 3);
  EXPECT_EQ(b.duration_ms, 960);
  EXPECT_EQ(Phase(b, "schedule_to_start"), 960);
  EXPECT_EQ(Phase(b, "execution"), -1);
  EXPECT_EQ(b.last_failure, "\"flaky\"");
  const TraceStep& a = t.steps[3];  // running: waited 60 ms, runs for 900 ms so far
  EXPECT_EQ(a.id, "a");
  EXPECT_EQ(a.duration_ms, 960);
  EXPECT_EQ(Phase(a, "schedule_to_start"), 60);
  EXPECT_EQ(Phase(a, "execution"), 900);
  EXPECT_EQ(a.identity, "act-worker");
  EXPECT_EQ(t.steps[4].outcome, "pending");
  EXPECT_EQ(t.steps[4].duration_ms, 960);
  const TraceStep& c = t.steps[5];
  EXPECT_EQ(c.name, "Kid");
  EXPECT_EQ(c.id, "child-1");
  EXPECT_EQ(c.run_id, "child-run");
  EXPECT_EQ(Phase(c, "start"), 10);
  EXPECT_EQ(Phase(c, "execution"), 950);
  EXPECT_EQ(t.steps[6].outcome, "pending");
  EXPECT_EQ(t.steps[6].duration_ms, 940);

  ASSERT_EQ(t.pending.size(), 5u);
  EXPECT_EQ(t.pending[0].kind, "workflow_task");
  EXPECT_EQ(t.pending[0].state, "scheduled");
  EXPECT_EQ(t.pending[0].age_ms, 940);
  EXPECT_EQ(t.pending[1].id, "b");
  EXPECT_EQ(t.pending[1].state, "BACKOFF");
  EXPECT_EQ(t.pending[1].backoff_ms, 2000);  // 1 s x 2^(3-2)
  EXPECT_FALSE(t.pending[1].age_ms.has_value());
  EXPECT_EQ(t.pending[2].id, "a");
  EXPECT_EQ(t.pending[2].age_ms, 900);
  EXPECT_EQ(t.pending[2].last_heartbeat_time, "2027-01-15T08:00:00.700Z");
  EXPECT_EQ(t.pending[3].kind, "timer");
  EXPECT_EQ(t.pending[3].due_in_ms, 59'040);
  EXPECT_EQ(t.pending[3].due_time, "2027-01-15T08:01:00.040Z");
  EXPECT_EQ(t.pending[4].kind, "child_workflow");
  EXPECT_EQ(t.pending[4].state, "started");
  EXPECT_EQ(t.pending[4].age_ms, 950);

  EXPECT_EQ(t.totals.workflow_task_ms, 10 + 15);
  EXPECT_EQ(t.totals.queue_wait_ms, 10 + 5 + 940 + 60);
  EXPECT_EQ(t.totals.retry_wait_ms, 960);
  EXPECT_EQ(t.totals.activity_execution_ms, 900);
  EXPECT_EQ(t.totals.child_workflows, 1);
  EXPECT_EQ(t.totals.child_workflow_ms, 960);

  const std::string text = FormatTraceText(t);
  EXPECT_THAT(text, HasSubstr("Duration:     1.000s so far\n"));
  EXPECT_THAT(text, HasSubstr("failure: \"command 1 does not match event 5\"\n"));
  EXPECT_THAT(text, HasSubstr("Pending:\n  workflow task  waiting for a worker for 0.940s, "
                              "attempt 1\n"));
  EXPECT_THAT(text,
              HasSubstr("activity Flaky (id b)  BACKOFF, attempt 3 of 5, next attempt after "
                        "a backoff of 2.000s (retry policy)\n      last failure: \"flaky\"\n"));
  EXPECT_THAT(text, HasSubstr("timer t  due 2027-01-15T08:01:00.040Z, in 59.040s\n"));
  EXPECT_THAT(text, HasSubstr("child Kid (child-1)  started, run child-run, for 0.950s\n"));

  const nlohmann::json j = nlohmann::json::parse(FormatTraceJson(t));
  EXPECT_TRUE(j["close_time"].is_null());
  EXPECT_TRUE(j["trace_id"].is_null());
  EXPECT_EQ(j["status"], "WORKFLOW_EXECUTION_STATUS_RUNNING");
  ASSERT_EQ(j["pending"].size(), 5u);
  EXPECT_EQ(j["pending"][1]["backoff_ms"], 2000);
  EXPECT_EQ(j["pending"][1]["maximum_attempts"], 5);
  EXPECT_EQ(j["pending"][3]["due_in_ms"], 59040);
  EXPECT_EQ(j["steps"][5]["run_id"], "child-run");
  EXPECT_EQ(j["steps"][5]["phases"],
            nlohmann::json::parse(R"({"start_ms":10,"execution_ms":950})"));
}

// After a workflow task times out a third time the retry waits out a backoff: no scheduled
// event yet, so the history alone says a workflow task is owed.
TEST(WorkflowTraceTest, WorkflowTaskRetryInBackoffIsPending) {
  History h;
  h.Started();
  h.Add(v1::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 0)
      ->mutable_workflow_task_scheduled_event_attributes()
      ->set_attempt(3);
  h.Add(v1::EVENT_TYPE_WORKFLOW_TASK_STARTED, 1)
      ->mutable_workflow_task_started_event_attributes()
      ->set_scheduled_event_id(2);
  auto* to = h.Add(v1::EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, 10'001)
                 ->mutable_workflow_task_timed_out_event_attributes();
  to->set_scheduled_event_id(2);
  to->set_timeout_type(v1::TIMEOUT_TYPE_START_TO_CLOSE);
  const WorkflowTrace t = BuildWorkflowTrace(Describe(v1::WORKFLOW_EXECUTION_STATUS_RUNNING),
                                             h.history(), kStart + absl::Milliseconds(10'501));
  ASSERT_EQ(t.steps.size(), 1u);
  EXPECT_EQ(t.steps[0].outcome, "timed_out");
  EXPECT_EQ(t.steps[0].detail, "timeout START_TO_CLOSE");
  EXPECT_EQ(Phase(t.steps[0], "execution"), 10'000);
  ASSERT_EQ(t.pending.size(), 1u);
  EXPECT_EQ(t.pending[0].state, "backoff");
  EXPECT_EQ(t.pending[0].attempt, 4);
  EXPECT_EQ(t.pending[0].age_ms, 500);
}

// A run that continued as new: a canceled timer, a version marker and a search attribute
// upsert, and the next run's id on the close step.
TEST(WorkflowTraceTest, ContinuedAsNewWithCanceledTimerMarkerAndUpsert) {
  History h;
  h.Started();
  h.WorkflowTask(0, 1, 3);  // 2-4
  auto* ts = h.Add(v1::EVENT_TYPE_TIMER_STARTED, 3)->mutable_timer_started_event_attributes();
  ts->set_timer_id("t");  // 5
  *ts->mutable_start_to_fire_timeout() = ToProtoDuration(absl::Minutes(5));
  auto* m = h.Add(v1::EVENT_TYPE_MARKER_RECORDED, 3)->mutable_marker_recorded_event_attributes();
  m->set_marker_name("Version");  // 6
  auto& details = *m->mutable_details();
  auto* cid = details["change_id"].add_payloads();
  (*cid->mutable_metadata())["encoding"] = "json/plain";
  cid->set_data("\"add-step\"");
  auto* ver = details["version"].add_payloads();
  (*ver->mutable_metadata())["encoding"] = "json/plain";
  ver->set_data("1");
  auto* up = h.Add(v1::EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, 3)  // 7
                 ->mutable_upsert_workflow_search_attributes_event_attributes();
  auto& stage = (*up->mutable_search_attributes()->mutable_indexed_fields())["OrderStage"];
  (*stage.mutable_metadata())["encoding"] = "json/plain";
  stage.set_data("\"packed\"");
  h.WorkflowTask(250, 251, 260);  // 8-10
  auto* tc = h.Add(v1::EVENT_TYPE_TIMER_CANCELED, 260)->mutable_timer_canceled_event_attributes();
  tc->set_timer_id("t");  // 11
  tc->set_started_event_id(5);
  h.Add(v1::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, 260)  // 12
      ->mutable_workflow_execution_continued_as_new_event_attributes()
      ->set_new_execution_run_id("run-2");

  const WorkflowTrace t = BuildWorkflowTrace(
      Describe(v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, 260), h.history(), kStart);
  EXPECT_THAT(Kinds(t), ElementsAre("workflow_task", "timer", "marker", "search_attributes",
                                    "workflow_task", "close"));
  EXPECT_EQ(t.steps[1].outcome, "canceled");
  EXPECT_EQ(t.steps[1].duration_ms, 257);
  EXPECT_EQ(t.steps[1].requested_ms, 300'000);
  EXPECT_EQ(t.steps[2].name, "Version");
  EXPECT_EQ(t.steps[2].id, "add-step");
  EXPECT_EQ(t.steps[2].detail, "version=1");
  EXPECT_EQ(t.steps[3].name, "OrderStage");
  EXPECT_EQ(t.steps[3].detail, "OrderStage=\"packed\"");
  EXPECT_EQ(t.steps[5].outcome, "continued_as_new");
  EXPECT_EQ(t.steps[5].run_id, "run-2");
  EXPECT_EQ(t.totals.timer_ms, 257);

  const std::string text = FormatTraceText(t);
  EXPECT_THAT(text, HasSubstr("marker Version add-step"));
  EXPECT_THAT(text, HasSubstr("continued_as_new  next run run-2\n"));
  const nlohmann::json j = nlohmann::json::parse(FormatTraceJson(t));
  EXPECT_EQ(j["steps"][5]["next_run_id"], "run-2");
  EXPECT_FALSE(j["steps"][5].contains("run_id"));
}

// A run terminated while an activity ran: the activity ends at the close, "unfinished", and
// a closed run has nothing pending.
TEST(WorkflowTraceTest, TerminatedRunLeavesOpenStepsUnfinished) {
  History h;
  h.Started();
  h.WorkflowTask(0, 2, 4);                                                // 2-4
  h.ActivityScheduled(4, "1", "Slow");                                    // 5
  auto* term = h.Add(v1::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, 2004)  // 6
                   ->mutable_workflow_execution_terminated_event_attributes();
  term->set_reason("stuck");
  term->set_identity("ops@cli");
  const WorkflowTrace t =
      BuildWorkflowTrace(Describe(v1::WORKFLOW_EXECUTION_STATUS_TERMINATED, 2004), h.history(),
                         kStart + absl::Hours(5));
  ASSERT_THAT(Kinds(t), ElementsAre("workflow_task", "activity", "close"));
  EXPECT_EQ(t.steps[1].outcome, "unfinished");
  EXPECT_EQ(t.steps[1].duration_ms, 2000);
  EXPECT_EQ(Phase(t.steps[1], "schedule_to_start"), 2000);
  EXPECT_EQ(t.steps[2].outcome, "terminated");
  EXPECT_EQ(t.steps[2].detail, "reason stuck");
  EXPECT_EQ(t.duration_ms, 2004);
  EXPECT_TRUE(t.pending.empty());
}

// Children, signals and cancels to other workflows, a canceled activity and one that timed
// out before any worker took it, and a run canceled on request.
TEST(WorkflowTraceTest, ChildrenExternalCallsCancelsAndTimeouts) {
  History h;
  h.Started();
  h.WorkflowTask(0, 1, 2);                                                      // 2-4
  auto* c1 = h.Add(v1::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, 2)  // 5
                 ->mutable_start_child_workflow_execution_initiated_event_attributes();
  c1->set_workflow_id("kid-1");
  c1->mutable_workflow_type()->set_name("Kid");
  auto* c2 = h.Add(v1::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, 2)  // 6
                 ->mutable_start_child_workflow_execution_initiated_event_attributes();
  c2->set_workflow_id("kid-2");
  c2->mutable_workflow_type()->set_name("Kid");
  auto* se = h.Add(v1::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, 2)  // 7
                 ->mutable_signal_external_workflow_execution_initiated_event_attributes();
  se->set_signal_name("wake");
  se->mutable_workflow_execution()->set_workflow_id("other");
  auto* ce = h.Add(v1::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, 2)  // 8
                 ->mutable_request_cancel_external_workflow_execution_initiated_event_attributes();
  ce->mutable_workflow_execution()->set_workflow_id("gone");
  h.ActivityScheduled(2, "x", "Cancelable");                             // 9
  h.ActivityScheduled(2, "y", "Unpolled");                               // 10
  auto* cs = h.Add(v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, 10)  // 11
                 ->mutable_child_workflow_execution_started_event_attributes();
  cs->set_initiated_event_id(5);
  cs->mutable_workflow_execution()->set_run_id("kid-run");
  auto* sf = h.Add(v1::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, 12)  // 12
                 ->mutable_start_child_workflow_execution_failed_event_attributes();
  sf->set_initiated_event_id(6);
  sf->set_cause(v1::START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS);
  h.Add(v1::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, 15)  // 13
      ->mutable_external_workflow_execution_signaled_event_attributes()
      ->set_initiated_event_id(7);
  auto* cf = h.Add(v1::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, 16)  // 14
                 ->mutable_request_cancel_external_workflow_execution_failed_event_attributes();
  cf->set_initiated_event_id(8);
  cf->set_cause(
      v1::CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND);
  auto* to = h.Add(v1::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, 502)  // 15
                 ->mutable_activity_task_timed_out_event_attributes();
  to->set_scheduled_event_id(10);
  to->set_timeout_type(v1::TIMEOUT_TYPE_SCHEDULE_TO_START);
  to->set_retry_state(v1::RETRY_STATE_TIMEOUT);
  to->mutable_failure()->set_message("no worker");
  auto* cf2 = h.Add(v1::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, 600)  // 16
                  ->mutable_child_workflow_execution_failed_event_attributes();
  cf2->set_initiated_event_id(5);
  cf2->mutable_failure()->set_message("kid broke");
  auto* cr = h.Add(v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, 700)  // 17
                 ->mutable_workflow_execution_cancel_requested_event_attributes();
  cr->set_identity("ops@cli");
  h.WorkflowTask(700, 701, 703);                             // 18-20
  h.Add(v1::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, 703)  // 21
      ->mutable_activity_task_cancel_requested_event_attributes()
      ->set_scheduled_event_id(9);
  h.Add(v1::EVENT_TYPE_ACTIVITY_TASK_CANCELED, 703)  // 22
      ->mutable_activity_task_canceled_event_attributes()
      ->set_scheduled_event_id(9);
  h.WorkflowTask(703, 704, 705);                           // 23-25
  h.Add(v1::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, 705);  // 26

  const WorkflowTrace t = BuildWorkflowTrace(Describe(v1::WORKFLOW_EXECUTION_STATUS_CANCELED, 705),
                                             h.history(), kStart);
  EXPECT_THAT(Kinds(t), ElementsAre("workflow_task", "child_workflow", "child_workflow",
                                    "signal_external", "cancel_external", "activity", "activity",
                                    "cancel_request", "workflow_task", "workflow_task", "close"));
  const TraceStep& kid1 = t.steps[1];
  EXPECT_EQ(kid1.outcome, "failed");
  EXPECT_EQ(kid1.failure, "\"kid broke\"");
  EXPECT_EQ(kid1.run_id, "kid-run");
  EXPECT_EQ(kid1.duration_ms, 598);
  EXPECT_EQ(Phase(kid1, "start"), 8);
  EXPECT_EQ(Phase(kid1, "execution"), 590);
  EXPECT_EQ(t.steps[2].outcome, "start_failed");
  EXPECT_EQ(t.steps[2].detail, "cause WORKFLOW_ALREADY_EXISTS");
  EXPECT_EQ(Phase(t.steps[2], "start"), 10);
  EXPECT_EQ(t.steps[3].name, "wake");
  EXPECT_EQ(t.steps[3].id, "other");
  EXPECT_EQ(t.steps[3].outcome, "delivered");
  EXPECT_EQ(t.steps[3].duration_ms, 13);
  EXPECT_EQ(t.steps[4].outcome, "failed");
  EXPECT_EQ(t.steps[4].detail, "cause EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND");
  const TraceStep& canceled = t.steps[5];
  EXPECT_EQ(canceled.id, "x");
  EXPECT_EQ(canceled.outcome, "canceled");
  EXPECT_EQ(canceled.detail, "cancel requested at +0.703s");
  EXPECT_THAT(canceled.event_ids, ElementsAre(9, 21, 22));
  const TraceStep& unpolled = t.steps[6];
  EXPECT_EQ(unpolled.outcome, "timed_out");
  EXPECT_EQ(unpolled.detail, "timeout SCHEDULE_TO_START, retry state TIMEOUT");
  EXPECT_EQ(unpolled.failure, "\"no worker\"");
  EXPECT_EQ(unpolled.duration_ms, 500);
  EXPECT_EQ(Phase(unpolled, "schedule_to_start"), 500);  // never started: all waiting
  EXPECT_EQ(Phase(unpolled, "execution"), -1);
  EXPECT_EQ(t.steps[7].identity, "ops@cli");
  EXPECT_EQ(t.steps[10].outcome, "canceled");
  EXPECT_EQ(t.totals.child_workflows, 2);
  EXPECT_EQ(t.totals.child_workflow_ms, 598 + 10);
  EXPECT_EQ(t.totals.queue_wait_ms, 1 + 1 + 1 + 701 + 500);
}

TEST(WorkflowTraceTest, MillisecondsPrintAsSecondsMinutesAndHours) {
  EXPECT_EQ(FormatTraceMillis(0), "0.000s");
  EXPECT_EQ(FormatTraceMillis(12'345), "12.345s");
  EXPECT_EQ(FormatTraceMillis(62'345), "1m02.345s");
  EXPECT_EQ(FormatTraceMillis(3'723'456), "1h02m03.456s");
  EXPECT_EQ(FormatTraceMillis(-5), "-0.005s");
}

}  // namespace
}  // namespace weft::cli
