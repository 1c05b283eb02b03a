#include "server/frontend/search_attribute_checks.h"

#include "absl/strings/str_cat.h"
#include "server/visibility/schema.h"

namespace weft::frontend {

absl::StatusOr<bool> NormalizeStartSearchAttributes(
    const history::NamespaceRef& ns, const api::v1::StartWorkflowExecutionRequest& in,
    api::v1::StartWorkflowExecutionRequest* out) {
  if (in.search_attributes().indexed_fields().empty()) return false;
  auto schema = visibility::Schema::FromMap(ns.search_attributes);
  auto norm = visibility::NormalizeSearchAttributes(in.search_attributes(), schema, false);
  if (!norm.ok()) return norm.status();
  *out = in;
  *out->mutable_search_attributes() = std::move(*norm);
  return true;
}

absl::StatusOr<bool> NormalizeCommandSearchAttributes(
    const history::NamespaceRef& ns, const api::v1::RespondWorkflowTaskCompletedRequest& in,
    api::v1::RespondWorkflowTaskCompletedRequest* out) {
  bool any = false;
  for (const auto& c : in.commands()) {
    any = any ||
          !c.upsert_workflow_search_attributes_command_attributes()
               .search_attributes()
               .indexed_fields()
               .empty() ||
          !c.continue_as_new_workflow_execution_command_attributes()
               .search_attributes()
               .indexed_fields()
               .empty() ||
          !c.start_child_workflow_execution_command_attributes()
               .search_attributes()
               .indexed_fields()
               .empty();
  }
  if (!any) return false;
  auto schema = visibility::Schema::FromMap(ns.search_attributes);
  *out = in;
  for (int i = 0; i < out->commands_size(); ++i) {
    api::v1::Command* c = out->mutable_commands(i);
    api::v1::SearchAttributes* sa = nullptr;
    bool upsert = false;
    if (c->has_upsert_workflow_search_attributes_command_attributes()) {
      sa = c->mutable_upsert_workflow_search_attributes_command_attributes()
               ->mutable_search_attributes();
      upsert = true;
    } else if (c->has_continue_as_new_workflow_execution_command_attributes() &&
               c->continue_as_new_workflow_execution_command_attributes().has_search_attributes()) {
      sa = c->mutable_continue_as_new_workflow_execution_command_attributes()
               ->mutable_search_attributes();
    } else if (c->has_start_child_workflow_execution_command_attributes()) {
      const auto& a = c->start_child_workflow_execution_command_attributes();
      // A child in another namespace is checked against that namespace when it starts.
      if (!a.namespace_().empty() && a.namespace_() != ns.name) continue;
      sa = c->mutable_start_child_workflow_execution_command_attributes()
               ->mutable_search_attributes();
    }
    if (sa == nullptr || sa->indexed_fields().empty()) continue;
    auto norm = visibility::NormalizeSearchAttributes(*sa, schema, upsert);
    if (!norm.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("command ", i + 1, " (",
                                                     api::v1::CommandType_Name(c->command_type()),
                                                     "): ", norm.status().message()));
    }
    *sa = std::move(*norm);
  }
  return true;
}

}  // namespace weft::frontend
