// The sample workflows and activities, each in its own source file so it reads as an
// example. Register*(worker) adds one sample's workflow and activities to a worker.
//
//   Greeting      "Ann"                      -> "Hello, Ann!"      (activity ComposeGreeting)
//   Sleep         3                          -> 3                  (durable timer)
//   AwaitSignal   -                          -> the `approve` signal's payload
//   Flaky         2                          -> 3                  (FlakyActivity fails twice)
//   SlowGreeting  {"name":..,"seconds":..}   -> "Hello, <name>!"   (heartbeating SlowCompose)
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

}  // namespace weft::samples

#endif  // WEFT_SAMPLES_SAMPLES_H_
