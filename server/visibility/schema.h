// Schema: the search attributes a namespace's queries may name, with their types: the
// system attributes every run has (WorkflowId, WorkflowType, ExecutionStatus, StartTime, ...)
// and the namespace's custom ones (NamespaceRecord.custom_search_attributes). Also the
// conversions between search-attribute payloads (JSON, see api.v1.SearchAttributes) and typed
// Values, and the validation of the attributes a start or an upsert sets.
//
//   Schema schema(ns_record.custom_search_attributes());
//   auto attrs = NormalizeSearchAttributes(request.search_attributes(), schema, /*upsert=*/false);
//
// Thread safety: a Schema is an immutable value; the functions are pure.
#ifndef WEFT_SERVER_VISIBILITY_SCHEMA_H_
#define WEFT_SERVER_VISIBILITY_SCHEMA_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/visibility/query.h"
#include "weft/api/v1/common.pb.h"
#include "weft/api/v1/enums.pb.h"
#include "weft/internal/persistence.pb.h"

namespace weft::visibility {

// Limits on what a run may carry (Temporal's defaults).
inline constexpr int kMaxSearchAttributes = 100;
inline constexpr size_t kMaxSearchAttributeValueBytes = 2 * 1024;
inline constexpr size_t kMaxSearchAttributesTotalBytes = 40 * 1024;
inline constexpr size_t kMaxCustomAttributesPerNamespace = 100;

// ExecutionStatus is a keyword in queries ('Running', ...) stored as the enum number.
enum class AttrType { kKeyword, kText, kInt, kDouble, kBool, kDatetime, kKeywordList, kStatus };

struct Attr {
  std::string name;
  AttrType type;
  bool system;
};

using CustomAttributes = std::map<std::string, api::v1::IndexedValueType>;

class Schema {
 public:
  Schema() = default;
  explicit Schema(CustomAttributes custom);
  template <typename MapT>
  static Schema FromMap(const MapT& m) {
    CustomAttributes c;
    for (const auto& [k, v] : m) c.emplace(k, v);
    return Schema(std::move(c));
  }

  // Null for an unknown name (names are case-sensitive).
  const Attr* Find(std::string_view name) const;
  // "WorkflowId, RunId, ..., then the custom ones": for error messages.
  std::string ValidNames() const;
  const std::vector<Attr>& attrs() const { return attrs_; }

  static const std::vector<Attr>& SystemAttributes();

 private:
  std::vector<Attr> attrs_;  // system first, then custom by name
};

AttrType FromIndexedValueType(api::v1::IndexedValueType t);
api::v1::IndexedValueType ToIndexedValueType(AttrType t);
// "Keyword", "Text", "Int", "Double", "Bool", "Datetime", "KeywordList", "ExecutionStatus".
const char* TypeName(AttrType t);

// A custom attribute's name must look like an identifier (letters, digits, '_', at most 64)
// and not be a system name or a query keyword.
absl::Status ValidateCustomAttributeName(const std::string& name);

// Checks every attribute of a start (upsert=false) or an upsert (upsert=true: a JSON null
// removes the attribute) against the schema and the limits; returns the attributes with
// metadata "encoding" = "json/plain" and "type" = TypeName(), and datetimes in RFC 3339 UTC.
// INVALID_ARGUMENT names the attribute and says what to fix.
absl::StatusOr<api::v1::SearchAttributes> NormalizeSearchAttributes(
    const api::v1::SearchAttributes& in, const Schema& schema, bool upsert);

// Applies a normalized upsert to a run's attributes (nulls remove) and checks the totals.
absl::Status MergeSearchAttributes(const api::v1::SearchAttributes& upsert,
                                   api::v1::SearchAttributes* into);

// The values of a stored attribute payload read as `type` (one, or several for a keyword
// list); empty when the payload does not hold that type.
std::vector<Value> DecodeValues(const api::v1::Payload& payload, AttrType type);

// The values of an attribute of a run; empty means NULL (not set).
std::vector<Value> ValuesOf(const internal::VisibilityRecord& r, const Attr& attr);

// The literal of a query turned into a value of `type`; INVALID_ARGUMENT names the column.
absl::StatusOr<Value> ToValue(const Literal& l, const Attr& attr);

// The JSON a value of `type` is written as (for CLI --search-attr and tests).
std::string ExecutionStatusName(int status);

}  // namespace weft::visibility

#endif  // WEFT_SERVER_VISIBILITY_SCHEMA_H_
