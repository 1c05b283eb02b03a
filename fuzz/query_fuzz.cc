// libFuzzer target: the list query language (server/visibility). Any text must parse to an
// AST or fail with INVALID_ARGUMENT, never crash or hang; a parsed query's canonical text must
// parse again to the same text; type checking fails only with INVALID_ARGUMENT; a checked
// query evaluates against a record without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/visibility/query.h"
#include "server/visibility/query_checker.h"
#include "server/visibility/schema.h"

namespace {

namespace vis = weft::visibility;

void Check(const absl::Status& s) {
  if (!s.ok() && !absl::IsInvalidArgument(s)) __builtin_trap();
}

const vis::Schema& TestSchema() {
  static const vis::Schema* schema = new vis::Schema(
      vis::CustomAttributes{{"Amount", weft::api::v1::INDEXED_VALUE_TYPE_INT},
                            {"Score", weft::api::v1::INDEXED_VALUE_TYPE_DOUBLE},
                            {"Vip", weft::api::v1::INDEXED_VALUE_TYPE_BOOL},
                            {"Due", weft::api::v1::INDEXED_VALUE_TYPE_DATETIME},
                            {"Notes", weft::api::v1::INDEXED_VALUE_TYPE_TEXT},
                            {"Tags", weft::api::v1::INDEXED_VALUE_TYPE_KEYWORD_LIST},
                            {"Customer", weft::api::v1::INDEXED_VALUE_TYPE_KEYWORD}});
  return *schema;
}

const weft::internal::VisibilityRecord& TestRecord() {
  static const weft::internal::VisibilityRecord* r = [] {
    auto* rec = new weft::internal::VisibilityRecord();
    rec->set_workflow_id("wf");
    rec->set_run_id("run");
    rec->set_workflow_type("Type");
    rec->set_status(weft::api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
    rec->mutable_start_time()->set_seconds(1767225600);
    auto put = [&](const char* k, const char* v) {
      (*rec->mutable_search_attributes()->mutable_indexed_fields())[k].set_data(v);
    };
    put("Amount", "7");
    put("Score", "0.5");
    put("Vip", "true");
    put("Due", "\"2026-01-01T00:00:00Z\"");
    put("Notes", "\"a b c\"");
    put("Tags", "[\"x\",\"y\"]");
    put("Customer", "\"c\"");
    return rec;
  }();
  return *r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto q = vis::ParseQuery(text);
  if (!q.ok()) {
    Check(q.status());
    return 0;
  }
  if (q->where) {
    std::string canonical = vis::ToString(*q->where);
    auto again = vis::ParseQuery(canonical);
    // The canonical text adds parentheses, so a query near the depth limit may not re-parse.
    if (again.ok() && again->where && vis::ToString(*again->where) != canonical) {
      __builtin_trap();
    }
  }
  absl::Status checked = vis::CheckQuery(*q, TestSchema(), /*allow_order_by=*/true);
  Check(checked);
  if (checked.ok() && q->where) (void)vis::Matches(*q->where, TestRecord(), TestSchema());
  return 0;
}
