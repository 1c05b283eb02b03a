// Search attributes and list/count reads. Part of HistoryEngine; see visibility_handlers.h.
#include "server/history/visibility_handlers.h"

#include "server/history/history_engine.h"
#include "server/visibility/schema.h"
#include "server/visibility/visibility_store.h"

namespace weft::history {

internal::VisibilityRecord VisibilityRecordOf(const internal::MutableState& ms) {
  internal::VisibilityRecord v;
  v.set_namespace_id(ms.namespace_id());
  v.set_workflow_id(ms.workflow_id());
  v.set_run_id(ms.run_id());
  v.set_workflow_type(ms.workflow_type().name());
  *v.mutable_start_time() = ms.start_time();
  if (ms.has_close_time()) *v.mutable_close_time() = ms.close_time();
  v.set_status(ms.status());
  v.set_task_queue(ms.task_queue());
  v.set_history_length(ms.next_event_id() - 1);
  *v.mutable_memo() = ms.memo();
  *v.mutable_search_attributes() = ms.search_attributes();
  v.set_parent_workflow_id(ms.parent_workflow_id());
  v.set_parent_run_id(ms.parent_run_id());
  return v;
}

void ApplyUpsertSearchAttributes(Transition& tr,
                                 const api::v1::UpsertWorkflowSearchAttributesCommandAttributes& a,
                                 int64_t completed_id) {
  auto* e = tr.Append(api::v1::EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
  auto* ea = e->mutable_upsert_workflow_search_attributes_event_attributes();
  ea->set_workflow_task_completed_event_id(completed_id);
  *ea->mutable_search_attributes() = a.search_attributes();
  // ValidateCommands checked the merged totals, so this merge does not fail (and a failed one
  // would leave the run's attributes as they were).
  (void)visibility::MergeSearchAttributes(a.search_attributes(),
                                          tr.ms().mutable_search_attributes());
  tr.UpdateVisibility();
}

absl::StatusOr<api::v1::ListWorkflowExecutionsResponse> HistoryEngine::ListWorkflowExecutions(
    const NamespaceRef& ns, const api::v1::ListWorkflowExecutionsRequest& req) {
  return visibility::VisibilityStore(store_).List(
      ns.id, visibility::Schema::FromMap(ns.search_attributes), req);
}

absl::StatusOr<api::v1::CountWorkflowExecutionsResponse> HistoryEngine::CountWorkflowExecutions(
    const NamespaceRef& ns, const api::v1::CountWorkflowExecutionsRequest& req) {
  auto n = visibility::VisibilityStore(store_).Count(
      ns.id, visibility::Schema::FromMap(ns.search_attributes), req.query());
  if (!n.ok()) return n.status();
  api::v1::CountWorkflowExecutionsResponse resp;
  resp.set_count(*n);
  return resp;
}

}  // namespace weft::history
