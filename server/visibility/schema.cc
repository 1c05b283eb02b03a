#include "server/visibility/schema.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace weft::visibility {
namespace {

using json = nlohmann::json;

constexpr const char* kReservedWords[] = {"AND",  "OR",   "NOT",   "IN",         "BETWEEN",
                                          "IS",   "NULL", "ORDER", "BY",         "ASC",
                                          "DESC", "TRUE", "FALSE", "STARTS_WITH"};

struct StatusName {
  const char* name;
  api::v1::WorkflowExecutionStatus status;
};
constexpr StatusName kStatusNames[] = {
    {"Running", api::v1::WORKFLOW_EXECUTION_STATUS_RUNNING},
    {"Completed", api::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED},
    {"Failed", api::v1::WORKFLOW_EXECUTION_STATUS_FAILED},
    {"Canceled", api::v1::WORKFLOW_EXECUTION_STATUS_CANCELED},
    {"Terminated", api::v1::WORKFLOW_EXECUTION_STATUS_TERMINATED},
    {"ContinuedAsNew", api::v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW},
    {"TimedOut", api::v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT},
};

std::optional<json> ParseJson(const api::v1::Payload& p) {
  auto it = p.metadata().find("encoding");
  if (it != p.metadata().end() && it->second != "json/plain") return std::nullopt;
  json j = json::parse(p.data(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::optional<int64_t> ParseDatetime(const std::string& s) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return absl::ToUnixNanos(t);
  if (absl::ParseTime("%Y-%m-%d", s, &t, &err)) return absl::ToUnixNanos(t);
  return std::nullopt;
}

std::string FormatDatetime(int64_t nanos) {
  return absl::FormatTime(absl::RFC3339_full, absl::FromUnixNanos(nanos), absl::UTCTimeZone());
}

// The single value of `j` as `type`, or nullopt.
std::optional<Value> JsonToValue(const json& j, AttrType type) {
  switch (type) {
    case AttrType::kKeyword:
    case AttrType::kText:
    case AttrType::kKeywordList:
      if (j.is_string()) return Value::Str(j.get<std::string>());
      return std::nullopt;
    case AttrType::kInt:
      if (j.is_number_integer()) {
        if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
          return std::nullopt;
        }
        return Value::Int(j.get<int64_t>());
      }
      return std::nullopt;
    case AttrType::kDouble:
      if (j.is_number()) return Value::Double(j.get<double>());
      return std::nullopt;
    case AttrType::kBool:
      if (j.is_boolean()) return Value::Int(j.get<bool>() ? 1 : 0);
      return std::nullopt;
    case AttrType::kDatetime:
      if (j.is_string()) {
        auto n = ParseDatetime(j.get<std::string>());
        if (n) return Value::Int(*n);
      }
      return std::nullopt;
    case AttrType::kStatus:
      return std::nullopt;
  }
  return std::nullopt;
}

const char* JsonShape(AttrType t) {
  switch (t) {
    case AttrType::kKeyword:
    case AttrType::kText:
      return "a JSON string";
    case AttrType::kInt:
      return "a JSON integer";
    case AttrType::kDouble:
      return "a JSON number";
    case AttrType::kBool:
      return "true or false";
    case AttrType::kDatetime:
      return "an RFC 3339 time string, e.g. \"2026-01-02T15:04:05Z\"";
    case AttrType::kKeywordList:
      return "a JSON array of strings";
    case AttrType::kStatus:
      return "a status name";
  }
  return "";
}

}  // namespace

const std::vector<Attr>& Schema::SystemAttributes() {
  static const auto* kSystem = new std::vector<Attr>{
      {"WorkflowId", AttrType::kKeyword, true},     {"RunId", AttrType::kKeyword, true},
      {"WorkflowType", AttrType::kKeyword, true},   {"ExecutionStatus", AttrType::kStatus, true},
      {"StartTime", AttrType::kDatetime, true},     {"CloseTime", AttrType::kDatetime, true},
      {"ExecutionTime", AttrType::kDatetime, true}, {"TaskQueue", AttrType::kKeyword, true},
      {"HistoryLength", AttrType::kInt, true},      {"ParentWorkflowId", AttrType::kKeyword, true},
  };
  return *kSystem;
}

Schema::Schema(CustomAttributes custom) {
  attrs_ = SystemAttributes();
  for (const auto& [name, type] : custom) {
    if (Find(name) != nullptr) continue;  // a system name can never be registered
    attrs_.push_back({name, FromIndexedValueType(type), false});
  }
}

const Attr* Schema::Find(std::string_view name) const {
  const auto& list = attrs_.empty() ? SystemAttributes() : attrs_;
  for (const auto& a : list) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::string Schema::ValidNames() const {
  const auto& list = attrs_.empty() ? SystemAttributes() : attrs_;
  std::vector<std::string> names;
  for (const auto& a : list) names.push_back(a.name);
  return absl::StrJoin(names, ", ");
}

AttrType FromIndexedValueType(api::v1::IndexedValueType t) {
  switch (t) {
    case api::v1::INDEXED_VALUE_TYPE_TEXT:
      return AttrType::kText;
    case api::v1::INDEXED_VALUE_TYPE_INT:
      return AttrType::kInt;
    case api::v1::INDEXED_VALUE_TYPE_DOUBLE:
      return AttrType::kDouble;
    case api::v1::INDEXED_VALUE_TYPE_BOOL:
      return AttrType::kBool;
    case api::v1::INDEXED_VALUE_TYPE_DATETIME:
      return AttrType::kDatetime;
    case api::v1::INDEXED_VALUE_TYPE_KEYWORD_LIST:
      return AttrType::kKeywordList;
    default:
      return AttrType::kKeyword;
  }
}

api::v1::IndexedValueType ToIndexedValueType(AttrType t) {
  switch (t) {
    case AttrType::kText:
      return api::v1::INDEXED_VALUE_TYPE_TEXT;
    case AttrType::kInt:
      return api::v1::INDEXED_VALUE_TYPE_INT;
    case AttrType::kDouble:
      return api::v1::INDEXED_VALUE_TYPE_DOUBLE;
    case AttrType::kBool:
      return api::v1::INDEXED_VALUE_TYPE_BOOL;
    case AttrType::kDatetime:
      return api::v1::INDEXED_VALUE_TYPE_DATETIME;
    case AttrType::kKeywordList:
      return api::v1::INDEXED_VALUE_TYPE_KEYWORD_LIST;
    default:
      return api::v1::INDEXED_VALUE_TYPE_KEYWORD;
  }
}

const char* TypeName(AttrType t) {
  switch (t) {
    case AttrType::kKeyword:
      return "Keyword";
    case AttrType::kText:
      return "Text";
    case AttrType::kInt:
      return "Int";
    case AttrType::kDouble:
      return "Double";
    case AttrType::kBool:
      return "Bool";
    case AttrType::kDatetime:
      return "Datetime";
    case AttrType::kKeywordList:
      return "KeywordList";
    case AttrType::kStatus:
      return "ExecutionStatus";
  }
  return "";
}

absl::Status ValidateCustomAttributeName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64 &&
            (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search attribute name \"", name,
        "\" is not valid: use 1 to 64 letters, digits and '_', starting with a letter"));
  }
  for (const auto& a : Schema::SystemAttributes()) {
    if (absl::AsciiStrToLower(a.name) == absl::AsciiStrToLower(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", name, "\" is a system search attribute; choose another name"));
    }
  }
  std::string upper = absl::AsciiStrToUpper(name);
  for (const char* w : kReservedWords) {
    if (upper == w) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", name, "\" is a query keyword; choose another name"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<api::v1::SearchAttributes> NormalizeSearchAttributes(
    const api::v1::SearchAttributes& in, const Schema& schema, bool upsert) {
  if (in.indexed_fields_size() > kMaxSearchAttributes) {
    return absl::InvalidArgumentError(absl::StrCat("search_attributes: ", in.indexed_fields_size(),
                                                   " attributes is more than the limit of ",
                                                   kMaxSearchAttributes));
  }
  api::v1::SearchAttributes out;
  size_t total = 0;
  // Sorted, so the first error reported does not depend on map order.
  std::map<std::string, const api::v1::Payload*> sorted;
  for (const auto& [name, p] : in.indexed_fields()) sorted.emplace(name, &p);
  for (const auto& entry : sorted) {
    // Named copies: lambdas below capture them (clang cannot capture structured bindings).
    const std::string& name = entry.first;
    const api::v1::Payload* p = entry.second;
    const Attr* attr = schema.Find(name);
    if (attr == nullptr) {
      std::vector<std::string> custom;
      for (const auto& a : schema.attrs()) {
        if (!a.system) custom.push_back(a.name);
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "search attribute \"", name, "\" is not registered in this namespace (registered: ",
          custom.empty() ? "none" : absl::StrJoin(custom, ", "),
          "); add it with: weft search-attribute add --name ", name, " --type keyword"));
    }
    if (attr->system) {
      return absl::InvalidArgumentError(absl::StrCat(
          "search attribute \"", name, "\" is a system attribute; the server sets it"));
    }
    if (p->data().size() > kMaxSearchAttributeValueBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("search attribute \"", name, "\": the value is ", p->data().size(),
                       " bytes, more than the limit of ", kMaxSearchAttributeValueBytes));
    }
    auto j = ParseJson(*p);
    if (!j) {
      return absl::InvalidArgumentError(
          absl::StrCat("search attribute \"", name, "\" must be a JSON (json/plain) payload"));
    }
    api::v1::Payload norm;
    (*norm.mutable_metadata())["encoding"] = "json/plain";
    (*norm.mutable_metadata())["type"] = TypeName(attr->type);
    auto bad = [&]() {
      return absl::InvalidArgumentError(
          absl::StrCat("search attribute \"", name, "\" (", TypeName(attr->type), ") must be ",
                       JsonShape(attr->type), ", not ", j->dump().substr(0, 100)));
    };
    if (j->is_null()) {
      if (!upsert) {
        return absl::InvalidArgumentError(
            absl::StrCat("search attribute \"", name, "\" is null; leave it out instead"));
      }
      norm.set_data("null");
    } else if (attr->type == AttrType::kKeywordList) {
      if (!j->is_array()) return bad();
      for (const auto& e : *j) {
        if (!e.is_string()) return bad();
      }
      norm.set_data(j->dump());
    } else if (attr->type == AttrType::kDatetime) {
      auto v = JsonToValue(*j, attr->type);
      if (!v) return bad();
      norm.set_data(json(FormatDatetime(v->i)).dump());
    } else {
      if (!JsonToValue(*j, attr->type)) return bad();
      norm.set_data(j->dump());
    }
    total += name.size() + norm.data().size();
    (*out.mutable_indexed_fields())[name] = std::move(norm);
  }
  if (total > kMaxSearchAttributesTotalBytes) {
    return absl::InvalidArgumentError(absl::StrCat("search_attributes: ", total,
                                                   " bytes in all is more than the limit of ",
                                                   kMaxSearchAttributesTotalBytes));
  }
  return out;
}

absl::Status MergeSearchAttributes(const api::v1::SearchAttributes& upsert,
                                   api::v1::SearchAttributes* into) {
  api::v1::SearchAttributes merged = *into;
  for (const auto& [name, p] : upsert.indexed_fields()) {
    if (p.data() == "null") {
      merged.mutable_indexed_fields()->erase(name);
    } else {
      (*merged.mutable_indexed_fields())[name] = p;
    }
  }
  if (merged.indexed_fields_size() > kMaxSearchAttributes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the run would have ", merged.indexed_fields_size(),
                     " search attributes; the limit is ", kMaxSearchAttributes));
  }
  size_t total = 0;
  for (const auto& [name, p] : merged.indexed_fields()) total += name.size() + p.data().size();
  if (total > kMaxSearchAttributesTotalBytes) {
    return absl::InvalidArgumentError(absl::StrCat("the run's search attributes would take ", total,
                                                   " bytes; the limit is ",
                                                   kMaxSearchAttributesTotalBytes));
  }
  *into = std::move(merged);
  return absl::OkStatus();
}

std::vector<Value> DecodeValues(const api::v1::Payload& payload, AttrType type) {
  std::vector<Value> out;
  auto j = ParseJson(payload);
  if (!j || j->is_null()) return out;
  if (type == AttrType::kKeywordList) {
    if (j->is_array()) {
      for (const auto& e : *j) {
        if (e.is_string()) out.push_back(Value::Str(e.get<std::string>()));
      }
    } else if (j->is_string()) {
      out.push_back(Value::Str(j->get<std::string>()));
    }
    return out;
  }
  if (auto v = JsonToValue(*j, type)) out.push_back(std::move(*v));
  return out;
}

std::vector<Value> ValuesOf(const internal::VisibilityRecord& r, const Attr& attr) {
  std::vector<Value> out;
  if (!attr.system) {
    auto it = r.search_attributes().indexed_fields().find(attr.name);
    if (it != r.search_attributes().indexed_fields().end()) {
      out = DecodeValues(it->second, attr.type);
    }
    return out;
  }
  auto str = [&](const std::string& s) {
    if (!s.empty()) out.push_back(Value::Str(s));
  };
  auto time = [&](const google::protobuf::Timestamp& t, bool present) {
    if (present) out.push_back(Value::Int(t.seconds() * 1000000000 + t.nanos()));
  };
  const std::string& n = attr.name;
  if (n == "WorkflowId") {
    str(r.workflow_id());
  } else if (n == "RunId") {
    str(r.run_id());
  } else if (n == "WorkflowType") {
    str(r.workflow_type());
  } else if (n == "ExecutionStatus") {
    out.push_back(Value::Int(r.status()));
  } else if (n == "StartTime") {
    time(r.start_time(), true);
  } else if (n == "CloseTime") {
    time(r.close_time(), r.has_close_time());
  } else if (n == "ExecutionTime") {
    if (r.has_execution_time()) {
      time(r.execution_time(), true);
    } else {
      time(r.start_time(), true);
    }
  } else if (n == "TaskQueue") {
    str(r.task_queue());
  } else if (n == "HistoryLength") {
    out.push_back(Value::Int(r.history_length()));
  } else if (n == "ParentWorkflowId") {
    str(r.parent_workflow_id());
  }
  return out;
}

std::string ExecutionStatusName(int status) {
  for (const auto& s : kStatusNames) {
    if (s.status == status) return s.name;
  }
  return "Unspecified";
}

absl::StatusOr<Value> ToValue(const Literal& l, const Attr& attr) {
  auto wrong = [&](const char* want) {
    return absl::InvalidArgumentError(
        absl::StrCat("query: ", attr.name, " is ", attr.type == AttrType::kInt ? "an " : "a ",
                     TypeName(attr.type), " attribute: expected ", want, " at column ", l.column));
  };
  switch (attr.type) {
    case AttrType::kKeyword:
    case AttrType::kText:
    case AttrType::kKeywordList:
      if (l.kind != Literal::Kind::kString) return wrong("a quoted string");
      return Value::Str(l.str);
    case AttrType::kStatus: {
      if (l.kind == Literal::Kind::kString) {
        for (const auto& s : kStatusNames) {
          if (absl::AsciiStrToLower(s.name) == absl::AsciiStrToLower(l.str)) {
            return Value::Int(s.status);
          }
        }
      }
      std::vector<std::string> names;
      for (const auto& s : kStatusNames) names.push_back(absl::StrCat("'", s.name, "'"));
      return wrong(absl::StrCat("one of ", absl::StrJoin(names, ", ")).c_str());
    }
    case AttrType::kInt:
      if (l.kind != Literal::Kind::kInt) return wrong("an integer");
      return Value::Int(l.i);
    case AttrType::kDouble:
      if (l.kind == Literal::Kind::kInt) return Value::Double(static_cast<double>(l.i));
      if (l.kind != Literal::Kind::kDouble) return wrong("a number");
      return Value::Double(l.d);
    case AttrType::kBool:
      if (l.kind != Literal::Kind::kBool) return wrong("true or false");
      return Value::Int(l.b ? 1 : 0);
    case AttrType::kDatetime: {
      if (l.kind == Literal::Kind::kString) {
        if (auto n = ParseDatetime(l.str)) return Value::Int(*n);
      }
      return wrong("an RFC 3339 time in quotes, e.g. '2026-01-02T15:04:05Z'");
    }
  }
  return wrong("a value");
}

}  // namespace weft::visibility
