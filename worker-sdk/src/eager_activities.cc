// Eager activities, the worker's side (the server's is server/history/eager_activities.cc):
// when a workflow task's answer schedules activities this worker runs itself, it asks for
// them to be started for it at once and offers one reserved activity slot for each; the
// server returns the tasks it started in the answer, and they run exactly as polled ones
// (HandleActivityTask: the same heartbeats and answers). Part of weft::Worker; see
// weft/worker.h.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "activity_executor.h"
#include "weft/worker.h"

namespace weft {

int Worker::ReserveEagerActivities(api::v1::RespondWorkflowTaskCompletedRequest* req) {
  if (options_.disable_eager_activities || !activity_executor_) return 0;
  // Only what this worker can start: its own task queue (the server checks that too) and a
  // type it has registered (another worker of the queue may run other types).
  std::vector<api::v1::ScheduleActivityTaskCommandAttributes*> wanted;
  for (api::v1::Command& c : *req->mutable_commands()) {
    if (c.command_type() != api::v1::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK) continue;
    auto* a = c.mutable_schedule_activity_task_command_attributes();
    const std::string& queue = a->task_queue().name();
    if ((queue.empty() || queue == options_.task_queue) &&
        activities_.contains(a->activity_type().name())) {
      wanted.push_back(a);
    }
  }
  if (wanted.empty()) return 0;
  // Slots are held from here until the answer is back: a task the server starts for this
  // worker must find one free.
  const int reserved = activity_executor_->TryAcquire(static_cast<int>(wanted.size()));
  for (int i = 0; i < reserved; ++i) wanted[i]->set_request_eager_execution(true);
  req->set_eager_activity_slots(reserved);
  return reserved;
}

void Worker::RunEagerActivities(int reserved,
                                const api::v1::RespondWorkflowTaskCompletedResponse* resp) {
  if (!activity_executor_) return;  // no activities here: nothing was offered
  int used = 0;
  if (resp != nullptr) {
    for (const api::v1::PollActivityTaskQueueResponse& task : resp->activity_tasks()) {
      // The server never starts more than offered; should it, the extra task waits for a
      // slot rather than run past the bound (or, while shutting down, is left to its
      // start-to-close timeout and a retry).
      if (used >= reserved && !activity_executor_->Acquire()) {
        Log(absl::StrCat("eager activity ", task.activity_id(),
                         " arrived while shutting down; it will be retried after its "
                         "start-to-close timeout"));
        continue;
      }
      ++used;
      ++eager_activity_tasks_;
      activity_executor_->Run([this, task] { HandleActivityTask(task); });
    }
  }
  if (reserved > used) activity_executor_->Release(reserved - used);
}

}  // namespace weft
