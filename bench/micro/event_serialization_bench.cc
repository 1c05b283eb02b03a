// Event serialization: the protobuf work of one transition. Each transition serializes its
// new events as one api::v1::History record and rewrites the run's MutableState; each
// workflow task sends the whole history to the worker, which parses it.
//
// Argument: payload bytes carried by the activity's input and result.
#include <benchmark/benchmark.h>

#include <string>

#include "weft/api/v1/history.pb.h"
#include "weft/internal/persistence.pb.h"

namespace weft::bench {
namespace {

api::v1::Payloads JsonPayloads(size_t bytes) {
  api::v1::Payloads p;
  api::v1::Payload* one = p.add_payloads();
  (*one->mutable_metadata())["encoding"] = "json/plain";
  one->set_data("{\"n\":1,\"pad\":\"" + std::string(bytes, 'x') + "\"}");
  return p;
}

void Stamp(api::v1::HistoryEvent* e, int64_t id, api::v1::EventType type) {
  e->set_event_id(id);
  e->set_event_type(type);
  e->mutable_event_time()->set_seconds(1700000000 + id);
  e->mutable_event_time()->set_nanos(123456789);
  e->set_task_id(1000 + id);
}

// The events of "workflow task completed, schedules the next activity" (3 events) and of
// "activity completed" (3 events with the started event written alongside): the events of
// one activity step.
api::v1::History StepEvents(size_t payload_bytes) {
  api::v1::History h;
  int64_t id = 10;
  auto* completed = h.add_events();
  Stamp(completed, id++, api::v1::EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  completed->mutable_workflow_task_completed_event_attributes()->set_started_event_id(9);
  completed->mutable_workflow_task_completed_event_attributes()->set_identity("4711@bench-host");

  auto* scheduled = h.add_events();
  Stamp(scheduled, id++, api::v1::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
  auto* sa = scheduled->mutable_activity_task_scheduled_event_attributes();
  sa->set_activity_id("2");
  sa->mutable_activity_type()->set_name("weft-bench.Increment");
  sa->mutable_task_queue()->set_name("weft-bench-4711-1700000000000000");
  *sa->mutable_input() = JsonPayloads(payload_bytes);
  sa->mutable_start_to_close_timeout()->set_seconds(30);
  sa->set_workflow_task_completed_event_id(10);
  sa->mutable_retry_policy()->mutable_initial_interval()->set_seconds(1);
  sa->mutable_retry_policy()->set_backoff_coefficient(2.0);

  auto* started = h.add_events();
  Stamp(started, id++, api::v1::EVENT_TYPE_ACTIVITY_TASK_STARTED);
  started->mutable_activity_task_started_event_attributes()->set_scheduled_event_id(11);
  started->mutable_activity_task_started_event_attributes()->set_identity("4711@bench-host");

  auto* done = h.add_events();
  Stamp(done, id++, api::v1::EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
  auto* da = done->mutable_activity_task_completed_event_attributes();
  *da->mutable_result() = JsonPayloads(payload_bytes);
  da->set_scheduled_event_id(11);
  da->set_started_event_id(12);

  auto* wft = h.add_events();
  Stamp(wft, id++, api::v1::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  return h;
}

// A run with one pending activity; the activity's input is kept in the mutable state too.
internal::MutableState SampleMutableState(size_t payload_bytes) {
  internal::MutableState ms;
  ms.set_namespace_id("3f2d1c0e-9b7a-4d8e-9a57-0b5f8a526c1e");
  ms.set_workflow_id("bench-4711-1700000000000000-17");
  ms.set_run_id("0b5f8a52-6c1e-4d8e-9a57-3f2d1c0e9b7a");
  ms.mutable_workflow_type()->set_name("weft-bench.Steps");
  ms.set_task_queue("weft-bench-4711-1700000000000000");
  ms.mutable_start_time()->set_seconds(1700000000);
  ms.mutable_workflow_task_timeout()->set_seconds(10);
  ms.set_next_event_id(15);
  ms.set_db_version(6);
  ms.set_start_request_id("6c1e0b5f-8a52-4d8e-9a57-3f2d1c0e9b7a");
  ms.set_namespace_name("default");
  ms.set_last_workflow_task_started_event_id(9);
  auto& activity = (*ms.mutable_activities())[11];
  activity.set_scheduled_event_id(11);
  activity.set_activity_id("2");
  activity.mutable_activity_type()->set_name("weft-bench.Increment");
  activity.set_task_queue("weft-bench-4711-1700000000000000");
  *activity.mutable_input() = JsonPayloads(payload_bytes);
  activity.mutable_start_to_close_timeout()->set_seconds(30);
  activity.set_attempt(1);
  return ms;
}

void BM_SerializeStepEvents(benchmark::State& state) {
  const api::v1::History h = StepEvents(static_cast<size_t>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = h.SerializeAsString();
    bytes += out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["events"] = h.events_size();
}
BENCHMARK(BM_SerializeStepEvents)->Arg(0)->Arg(1024)->Arg(64 * 1024);

// What Transition::Commit does today: copy each event into a History, then serialize.
void BM_CopyAndSerializeStepEvents(benchmark::State& state) {
  const api::v1::History src = StepEvents(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    api::v1::History h;
    for (const auto& e : src.events()) *h.add_events() = e;
    std::string out = h.SerializeAsString();
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_CopyAndSerializeStepEvents)->Arg(0)->Arg(1024)->Arg(64 * 1024);

void BM_ParseStepEvents(benchmark::State& state) {
  const std::string wire = StepEvents(static_cast<size_t>(state.range(0))).SerializeAsString();
  for (auto _ : state) {
    api::v1::History h;
    bool ok = h.ParseFromString(wire);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_ParseStepEvents)->Arg(0)->Arg(1024)->Arg(64 * 1024);

// The mutable state is rewritten (serialized) by every transition. Argument: input bytes
// of the pending activity.
void BM_SerializeMutableState(benchmark::State& state) {
  const internal::MutableState ms = SampleMutableState(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    std::string out = ms.SerializeAsString();
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes"] = static_cast<double>(ms.ByteSizeLong());
}
BENCHMARK(BM_SerializeMutableState)->Arg(0)->Arg(1024)->Arg(64 * 1024);

// A cache miss parses it back.
void BM_ParseMutableState(benchmark::State& state) {
  const std::string wire =
      SampleMutableState(static_cast<size_t>(state.range(0))).SerializeAsString();
  for (auto _ : state) {
    internal::MutableState ms;
    bool ok = ms.ParseFromString(wire);
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_ParseMutableState)->Arg(0)->Arg(1024)->Arg(64 * 1024);

}  // namespace
}  // namespace weft::bench
