#include "server/visibility/visibility_store.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/visibility/query_checker.h"
#include "storage/key_codec.h"

namespace weft::visibility {
namespace {

using storage::KeyBuilder;
using storage::KeyReader;

constexpr char kRecordTag[] = "r";
constexpr char kIndexTag[] = "i";
constexpr char kTokenVersion[] = "vis1";

bool IsStringType(AttrType t) {
  return t == AttrType::kKeyword || t == AttrType::kText || t == AttrType::kKeywordList;
}

uint64_t DoubleBits(double d) {
  if (d == 0) d = 0;  // -0.0 sorts with 0.0
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return (bits & (1ULL << 63)) ? ~bits : (bits | (1ULL << 63));
}

void EncodeValue(KeyBuilder& kb, const Value& v, AttrType t) {
  if (IsStringType(t)) {
    kb.Str(v.s);
  } else if (t == AttrType::kDouble) {
    kb.U64(DoubleBits(v.kind == Value::Kind::kInt ? static_cast<double>(v.i) : v.d));
  } else {
    kb.I64(v.i);
  }
}

// The system attributes with index rows.
bool SystemIndexed(const std::string& name) {
  return name == "WorkflowId" || name == "WorkflowType" || name == "ExecutionStatus" ||
         name == "TaskQueue" || name == "ParentWorkflowId";
}

bool Indexed(const Attr& a) {
  if (a.system) return SystemIndexed(a.name);
  return a.type != AttrType::kText;
}

std::string IndexPrefix(const std::string& ns, const std::string& attr) {
  return KeyBuilder().Str(ns).Str(kIndexTag).Str(attr).Done();
}

std::optional<AttrType> TypeFromName(const std::string& name) {
  for (AttrType t : {AttrType::kKeyword, AttrType::kText, AttrType::kInt, AttrType::kDouble,
                     AttrType::kBool, AttrType::kDatetime, AttrType::kKeywordList}) {
    if (name == TypeName(t)) return t;
  }
  return std::nullopt;
}

int64_t StartNanos(const internal::VisibilityRecord& r) {
  return r.start_time().seconds() * 1000000000 + r.start_time().nanos();
}

std::string Position(int64_t start, const std::string& run) {
  return KeyBuilder().I64(start).Str(run).Done();
}

uint64_t Fingerprint(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

absl::Status BadToken(const char* why) {
  return absl::InvalidArgumentError(
      absl::StrCat("next_page_token ", why,
                   ": pass the token from the previous response unchanged, with the same query"));
}

void ToInfo(const internal::VisibilityRecord& v, api::v1::WorkflowExecutionInfo* info) {
  info->mutable_execution()->set_workflow_id(v.workflow_id());
  info->mutable_execution()->set_run_id(v.run_id());
  info->mutable_type()->set_name(v.workflow_type());
  *info->mutable_start_time() = v.start_time();
  *info->mutable_execution_time() = v.has_execution_time() ? v.execution_time() : v.start_time();
  if (v.has_close_time()) *info->mutable_close_time() = v.close_time();
  info->set_status(v.status());
  info->set_history_length(v.history_length());
  info->set_task_queue(v.task_queue());
  *info->mutable_memo() = v.memo();
  *info->mutable_search_attributes() = v.search_attributes();
  if (!v.parent_workflow_id().empty()) {
    info->mutable_parent_execution()->set_workflow_id(v.parent_workflow_id());
    info->mutable_parent_execution()->set_run_id(v.parent_run_id());
  }
}

void Conjuncts(const Expr* e, std::vector<const Expr*>* out) {
  if (e == nullptr) return;
  if (e->kind == Expr::Kind::kAnd) {
    Conjuncts(e->lhs.get(), out);
    Conjuncts(e->rhs.get(), out);
  } else {
    out->push_back(e);
  }
}

// A predicate built from a request field, checked like one from the query text.
std::unique_ptr<Expr> FieldPredicate(const std::string& name, CmpOp op, Literal lit) {
  auto e = std::make_unique<Expr>();
  e->kind = Expr::Kind::kCompare;
  e->name = name;
  e->op = op;
  e->literals.push_back(std::move(lit));
  return e;
}

Literal StringLiteral(std::string s) {
  Literal l;
  l.kind = Literal::Kind::kString;
  l.str = std::move(s);
  return l;
}

}  // namespace

std::string RecordKey(const std::string& ns_id, int64_t start_nanos, const std::string& run_id) {
  return KeyBuilder().Str(ns_id).Str(kRecordTag).I64(start_nanos).Str(run_id).Done();
}

std::string RecordPrefix(const std::string& ns_id) {
  return KeyBuilder().Str(ns_id).Str(kRecordTag).Done();
}

std::vector<std::string> IndexKeys(const internal::VisibilityRecord& r) {
  std::vector<std::string> out;
  const int64_t start = StartNanos(r);
  auto add = [&](const std::string& attr, const Value& v, AttrType t) {
    KeyBuilder kb;
    kb.Str(r.namespace_id()).Str(kIndexTag).Str(attr);
    EncodeValue(kb, v, t);
    kb.I64(start).Str(r.run_id());
    out.push_back(kb.Done());
  };
  for (const auto& a : Schema::SystemAttributes()) {
    if (!SystemIndexed(a.name)) continue;
    for (const auto& v : ValuesOf(r, a))
      add(a.name, v, a.type == AttrType::kStatus ? AttrType::kInt : a.type);
  }
  for (const auto& [name, p] : r.search_attributes().indexed_fields()) {
    auto it = p.metadata().find("type");
    if (it == p.metadata().end()) continue;
    auto t = TypeFromName(it->second);
    if (!t || *t == AttrType::kText) continue;
    for (const auto& v : DecodeValues(p, *t)) add(name, v, *t);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void VisibilityStore::AppendWrites(const internal::VisibilityRecord& record,
                                   storage::Batch* batch) const {
  const std::string key = RecordKey(record.namespace_id(), StartNanos(record), record.run_id());
  std::vector<std::string> old_keys;
  // The run's lock is held and its previous transition is on disk, so this is its current
  // record. Should the read fail, stale rows are harmless: every hit is re-checked.
  auto old = store_->Get(storage::Cf::kVisibility, key);
  if (old.ok()) {
    internal::VisibilityRecord prev;
    if (prev.ParseFromString(*old)) old_keys = IndexKeys(prev);
  }
  std::vector<std::string> new_keys = IndexKeys(record);
  std::vector<std::string> gone;
  std::set_difference(old_keys.begin(), old_keys.end(), new_keys.begin(), new_keys.end(),
                      std::back_inserter(gone));
  for (const auto& k : gone) batch->Delete(storage::Cf::kVisibility, k);
  std::vector<std::string> added;
  std::set_difference(new_keys.begin(), new_keys.end(), old_keys.begin(), old_keys.end(),
                      std::back_inserter(added));
  for (const auto& k : added) batch->Put(storage::Cf::kVisibility, k, "");
  batch->Put(storage::Cf::kVisibility, key, record.SerializeAsString());
}

// ---- planning ----

struct VisibilityStore::Plan {
  bool use_index = false;
  const Attr* attr = nullptr;                               // the index, if use_index
  std::vector<std::pair<std::string, std::string>> ranges;  // index key ranges
  int64_t start_lo = INT64_MIN;                             // StartTime bounds on records
  int64_t start_hi = INT64_MAX;                             // exclusive
};

VisibilityStore::Plan VisibilityStore::MakePlan(const std::string& ns, const Schema& schema,
                                                const Expr* where) const {
  Plan plan;
  std::vector<const Expr*> conj;
  Conjuncts(where, &conj);
  struct Candidate {
    const Attr* attr;
    std::vector<std::pair<std::string, std::string>> ranges;
  };
  std::vector<Candidate> candidates;
  auto sat_add = [](int64_t v, int64_t d) { return v > INT64_MAX - d ? INT64_MAX : v + d; };
  for (const Expr* c : conj) {
    const Attr* a = schema.Find(c->name);
    if (a == nullptr || c->values.size() != c->literals.size()) continue;
    if (a->name == "StartTime") {
      if (c->kind == Expr::Kind::kCompare) {
        int64_t v = c->values[0].i;
        switch (c->op) {
          case CmpOp::kEq:
            plan.start_lo = std::max(plan.start_lo, v);
            plan.start_hi = std::min(plan.start_hi, sat_add(v, 1));
            break;
          case CmpOp::kGt:
            plan.start_lo = std::max(plan.start_lo, sat_add(v, 1));
            break;
          case CmpOp::kGe:
            plan.start_lo = std::max(plan.start_lo, v);
            break;
          case CmpOp::kLt:
            plan.start_hi = std::min(plan.start_hi, v);
            break;
          case CmpOp::kLe:
            plan.start_hi = std::min(plan.start_hi, sat_add(v, 1));
            break;
          case CmpOp::kNe:
            break;
        }
      } else if (c->kind == Expr::Kind::kBetween && !c->negated) {
        plan.start_lo = std::max(plan.start_lo, c->values[0].i);
        plan.start_hi = std::min(plan.start_hi, sat_add(c->values[1].i, 1));
      }
      continue;
    }
    if (!Indexed(*a)) continue;
    const AttrType enc_type = a->type == AttrType::kStatus ? AttrType::kInt : a->type;
    const std::string p = IndexPrefix(ns, a->name);
    const std::string p_end = storage::PrefixSuccessor(p);
    auto at = [&](const Value& v) {
      KeyBuilder kb;
      kb.Str(ns).Str(kIndexTag).Str(a->name);
      EncodeValue(kb, v, enc_type);
      return kb.Done();
    };
    Candidate cand{a, {}};
    switch (c->kind) {
      case Expr::Kind::kCompare: {
        std::string k = at(c->values[0]);
        switch (c->op) {
          case CmpOp::kEq:
            cand.ranges.push_back({k, storage::PrefixSuccessor(k)});
            break;
          case CmpOp::kGt:
            cand.ranges.push_back({storage::PrefixSuccessor(k), p_end});
            break;
          case CmpOp::kGe:
            cand.ranges.push_back({k, p_end});
            break;
          case CmpOp::kLt:
            cand.ranges.push_back({p, k});
            break;
          case CmpOp::kLe:
            cand.ranges.push_back({p, storage::PrefixSuccessor(k)});
            break;
          case CmpOp::kNe:
            break;
        }
        break;
      }
      case Expr::Kind::kIn:
        if (!c->negated) {
          for (const auto& v : c->values) {
            std::string k = at(v);
            cand.ranges.push_back({k, storage::PrefixSuccessor(k)});
          }
        }
        break;
      case Expr::Kind::kBetween:
        if (!c->negated) {
          cand.ranges.push_back({at(c->values[0]), storage::PrefixSuccessor(at(c->values[1]))});
        }
        break;
      case Expr::Kind::kStartsWith: {
        std::string k = at(c->values[0]);
        k.resize(k.size() - 2);  // drop the string terminator: a prefix of every longer value
        cand.ranges.push_back({k, storage::PrefixSuccessor(k)});
        break;
      }
      default:
        break;
    }
    if (!cand.ranges.empty()) candidates.push_back(std::move(cand));
  }
  if (candidates.empty()) return plan;
  // Count rows (up to a cap) to pick the most selective access path; the records scan
  // counts too, so an index is used only when it beats scanning the StartTime range.
  auto count = [&](const std::string& from, const std::string& to) {
    size_t n = 0;
    (void)store_->Scan(
        storage::Cf::kVisibility, from, to,
        [&](std::string_view, std::string_view) { return ++n <= kEstimateCap; }, kEstimateCap + 1);
    return n;
  };
  const std::string rp = RecordPrefix(ns);
  std::string lo_key =
      plan.start_lo == INT64_MIN ? rp : rp + KeyBuilder().I64(plan.start_lo).Done();
  std::string hi_key = plan.start_hi == INT64_MAX ? storage::PrefixSuccessor(rp)
                                                  : rp + KeyBuilder().I64(plan.start_hi).Done();
  size_t best = count(lo_key, hi_key);
  for (auto& cand : candidates) {
    size_t n = 0;
    for (const auto& [from, to] : cand.ranges) {
      if (from < to) n += count(from, to);
      if (n > kEstimateCap) break;
    }
    if (n < best) {
      best = n;
      plan.use_index = true;
      plan.attr = cand.attr;
      plan.ranges = std::move(cand.ranges);
    }
  }
  return plan;
}

std::string VisibilityStore::Explain(const std::string& ns_id, const Schema& schema,
                                     const Expr* where) const {
  Plan p = MakePlan(ns_id, schema, where);
  return p.use_index ? absl::StrCat("index ", p.attr->name) : "scan StartTime";
}

absl::Status VisibilityStore::ForEachMatch(
    const std::string& ns, const Schema& schema, const Expr* where, bool desc,
    const std::string& after,
    const std::function<bool(const std::string&, internal::VisibilityRecord&)>& fn) const {
  Plan plan = MakePlan(ns, schema, where);
  const std::string rp = RecordPrefix(ns);
  absl::Status bad;
  auto visit = [&](const std::string& position, std::string_view value) {
    internal::VisibilityRecord r;
    if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      bad = absl::DataLossError("corrupt visibility record");
      return false;
    }
    if (where != nullptr && !Matches(*where, r, schema)) return true;
    return fn(position, r);
  };
  if (!plan.use_index) {
    std::string from =
        plan.start_lo == INT64_MIN ? rp : rp + KeyBuilder().I64(plan.start_lo).Done();
    std::string to = plan.start_hi == INT64_MAX ? storage::PrefixSuccessor(rp)
                                                : rp + KeyBuilder().I64(plan.start_hi).Done();
    if (!after.empty()) {
      std::string resume = rp + after;
      if (desc) {
        to = std::min(to, resume);
      } else {
        from = std::max(from, resume + std::string(1, '\0'));
      }
    }
    if (from >= to) return absl::OkStatus();
    auto cb = [&](std::string_view key, std::string_view value) {
      return visit(std::string(key.substr(rp.size())), value);
    };
    absl::Status s = desc ? store_->ScanReverse(storage::Cf::kVisibility, from, to, cb)
                          : store_->Scan(storage::Cf::kVisibility, from, to, cb);
    return s.ok() ? bad : s;
  }
  // Index: collect the candidate runs, then visit them in StartTime order.
  const bool string_value = IsStringType(plan.attr->type);
  const size_t prefix_len = IndexPrefix(ns, plan.attr->name).size();
  std::vector<std::string> positions;
  for (const auto& [from, to] : plan.ranges) {
    if (from >= to) continue;
    absl::Status s = store_->Scan(
        storage::Cf::kVisibility, from, to, [&](std::string_view key, std::string_view) {
          KeyReader rd(key.substr(prefix_len));
          bool ok = string_value ? rd.Str().has_value() : rd.U64().has_value();
          auto start = rd.I64();
          auto run = rd.Str();
          if (ok && start && run && *start >= plan.start_lo && *start < plan.start_hi) {
            positions.push_back(Position(*start, *run));
          }
          return true;
        });
    if (!s.ok()) return s;
  }
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
  if (desc) std::reverse(positions.begin(), positions.end());
  for (const auto& pos : positions) {
    if (!after.empty() && (desc ? pos >= after : pos <= after)) continue;
    auto value = store_->Get(storage::Cf::kVisibility, rp + pos);
    if (absl::IsNotFound(value.status())) continue;  // a stale index row
    if (!value.ok()) return value.status();
    if (!visit(pos, *value)) break;
  }
  return bad;
}

// ---- list and count ----

absl::StatusOr<api::v1::ListWorkflowExecutionsResponse> VisibilityStore::List(
    const std::string& ns, const Schema& schema,
    const api::v1::ListWorkflowExecutionsRequest& req) const {
  auto q = ParseQuery(req.query());
  if (!q.ok()) return q.status();
  if (auto s = CheckQuery(*q, schema, /*allow_order_by=*/true); !s.ok()) return s;
  std::unique_ptr<Expr> filters;
  if (req.status() != api::v1::WORKFLOW_EXECUTION_STATUS_UNSPECIFIED) {
    filters =
        And(std::move(filters), FieldPredicate("ExecutionStatus", CmpOp::kEq,
                                               StringLiteral(ExecutionStatusName(req.status()))));
  }
  if (!req.workflow_type().empty()) {
    filters = And(std::move(filters),
                  FieldPredicate("WorkflowType", CmpOp::kEq, StringLiteral(req.workflow_type())));
  }
  auto time_literal = [](const google::protobuf::Timestamp& t) {
    return StringLiteral(absl::FormatTime(
        absl::RFC3339_full, absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos()),
        absl::UTCTimeZone()));
  };
  if (req.has_start_time_from()) {
    filters = And(std::move(filters),
                  FieldPredicate("StartTime", CmpOp::kGe, time_literal(req.start_time_from())));
  }
  if (req.has_start_time_to()) {
    filters = And(std::move(filters),
                  FieldPredicate("StartTime", CmpOp::kLt, time_literal(req.start_time_to())));
  }
  if (filters) {
    if (auto s = CheckExpr(*filters, schema); !s.ok()) return s;
  }
  std::unique_ptr<Expr> where = And(std::move(q->where), std::move(filters));
  const bool by_start = q->order_by.empty() || q->order_by == "StartTime";
  const bool desc = q->order_desc;
  const uint64_t fp =
      Fingerprint(absl::StrCat(where ? ToString(*where) : "", "|",
                               by_start ? "StartTime" : q->order_by, "|", desc ? "DESC" : "ASC"));
  std::string after;
  if (!req.next_page_token().empty()) {
    KeyReader rd(req.next_page_token());
    auto version = rd.Str();
    auto token_fp = rd.U64();
    auto pos = rd.Str();
    if (!version || *version != kTokenVersion || !token_fp || !pos || !rd.AtEnd() || pos->empty()) {
      return BadToken("is malformed");
    }
    if (*token_fp != fp) return BadToken("belongs to a different query");
    after = std::move(*pos);
  }
  const size_t page = req.page_size() > 0 ? std::min(req.page_size(), 1000) : 100;

  std::vector<std::pair<std::string, internal::VisibilityRecord>> rows;  // position, record
  if (by_start) {
    absl::Status s = ForEachMatch(ns, schema, where.get(), desc, after,
                                  [&](const std::string& pos, internal::VisibilityRecord& r) {
                                    rows.emplace_back(pos, std::move(r));
                                    return rows.size() <= page;
                                  });
    if (!s.ok()) return s;
  } else {
    const Attr* order = schema.Find(q->order_by);
    const AttrType enc_type = order->type == AttrType::kStatus ? AttrType::kInt : order->type;
    bool too_many = false;
    absl::Status s = ForEachMatch(ns, schema, where.get(), true, "",
                                  [&](const std::string&, internal::VisibilityRecord& r) {
                                    if (rows.size() >= kMaxSortedMatches) {
                                      too_many = true;
                                      return false;
                                    }
                                    auto values = ValuesOf(r, *order);
                                    KeyBuilder kb;
                                    // Runs without the attribute come last in either direction.
                                    kb.U32(values.empty() ? (desc ? 0 : 1) : (desc ? 1 : 0));
                                    if (!values.empty()) EncodeValue(kb, values[0], enc_type);
                                    kb.I64(StartNanos(r)).Str(r.run_id());
                                    std::string pos = kb.Done();
                                    if (!after.empty() && (desc ? pos >= after : pos <= after))
                                      return true;
                                    rows.emplace_back(std::move(pos), std::move(r));
                                    return true;
                                  });
    if (!s.ok()) return s;
    if (too_many) {
      return absl::InvalidArgumentError(absl::StrCat(
          "query: ORDER BY ", order->name, " sorts at most ", kMaxSortedMatches,
          " matching runs; narrow the query (e.g. a StartTime range) or order by StartTime"));
    }
    std::sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
      return desc ? a.first > b.first : a.first < b.first;
    });
    if (rows.size() > page + 1) rows.resize(page + 1);
  }
  api::v1::ListWorkflowExecutionsResponse resp;
  for (size_t i = 0; i < rows.size() && i < page; ++i)
    ToInfo(rows[i].second, resp.add_executions());
  if (rows.size() > page) {
    resp.set_next_page_token(
        KeyBuilder().Str(kTokenVersion).U64(fp).Str(rows[page - 1].first).Done());
  }
  return resp;
}

absl::StatusOr<int64_t> VisibilityStore::Count(const std::string& ns, const Schema& schema,
                                               const std::string& query) const {
  auto q = ParseQuery(query);
  if (!q.ok()) return q.status();
  if (auto s = CheckQuery(*q, schema, /*allow_order_by=*/false); !s.ok()) return s;
  int64_t n = 0;
  absl::Status s = ForEachMatch(ns, schema, q->where.get(), false, "",
                                [&](const std::string&, internal::VisibilityRecord&) {
                                  ++n;
                                  return true;
                                });
  if (!s.ok()) return s;
  return n;
}

}  // namespace weft::visibility
