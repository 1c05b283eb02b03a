// The sample workflows and activities, each in its own source file so it reads as an
// example. Register*(worker) adds one sample's workflow and activities to a worker.
//
//   Greeting      "Ann"                      -> "Hello, Ann!"      (activity ComposeGreeting)
//   Sleep         3                          -> 3                  (durable timer)
//   AwaitSignal   -                          -> the `approve` signal's payload
//   Flaky         2                          -> 3                  (FlakyActivity fails twice)
//   SlowGreeting  {"name":..,"seconds":..}   -> "Hello, <name>!"   (heartbeating SlowCompose)
//   QueryableCounter      N                  -> the sum of `increment` signals (query `count`)
//   ContinueAsNewCounter  {"count":0,"until":5} -> 5               (a chain of 6 runs)
//   Versioned             "order-1"          -> {"version":1,...}  (GetVersion("add-step"))
//   HeartbeatingActivity  {"steps":5}        -> {"steps_done":5,..} (resumes from heartbeats)
//   CancellableSaga       {"fail_at":2}      -> {"status":"compensated","log":[..]} (query `log`)
//   ParentChild           {"children":3}     -> {"results":[101,4,9],"sum":114} (child workflows)
//   OrderStages           {"await_signal":true} -> {"stage":"shipped"} (upserts OrderStage)
//   GuardedDownstream     {"downstream":F,"log":L} -> "ok" once F is not "down" (circuit breaker)
//
// Thread safety: registration happens before Worker::Start.
#ifndef WEFT_SAMPLES_SAMPLES_H_
#define WEFT_SAMPLES_SAMPLES_H_

#include "weft/worker.h"

namespace weft::samples {

void RegisterGreeting(Worker& worker);
void RegisterSleep(Worker& worker);
void RegisterAwaitSignal(Worker& worker);
void RegisterFlaky(Worker& worker);
void RegisterSlowGreeting(Worker& worker);
void RegisterQueryableCounter(Worker& worker);
void RegisterContinueAsNewCounter(Worker& worker);
void RegisterVersioned(Worker& worker);
void RegisterHeartbeatingActivity(Worker& worker);
void RegisterCancellableSaga(Worker& worker);
void RegisterParentChild(Worker& worker);
void RegisterGuardedDownstream(Worker& worker);
void RegisterOrderStages(Worker& worker);

}  // namespace weft::samples

#endif  // WEFT_SAMPLES_SAMPLES_H_
