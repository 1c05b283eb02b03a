// weft::SearchAttributes: typed, indexed values of a run that ListWorkflows / CountWorkflows
// queries can filter and sort on. The names must first be registered in the namespace with
// their type (`weft search-attribute add --name CustomerId --type keyword`).
//
//   weft::StartWorkflowOptions opts{.task_queue = "orders"};
//   opts.search_attributes.Keyword("CustomerId", "c-42").Int("Amount", 250);
//   client->StartWorkflow("Checkout", opts, order);
//   ...
//   ctx.UpsertSearchAttributes(weft::SearchAttributes().Keyword("Stage", "shipped"));
//   auto page = client->ListWorkflows("Stage = 'shipped' ORDER BY StartTime DESC");
//
// Each value is a JSON payload of the attribute's type; the server checks it against the
// registered type. Unset(name) (a JSON null) removes an attribute in an upsert.
//
// Thread safety: a value type; not synchronized.
#ifndef WEFT_SEARCH_ATTRIBUTES_H_
#define WEFT_SEARCH_ATTRIBUTES_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "weft/api/v1/common.pb.h"

namespace weft {

class SearchAttributes {
 public:
  SearchAttributes& Keyword(const std::string& name, const std::string& value);
  SearchAttributes& Text(const std::string& name, const std::string& value);
  SearchAttributes& Int(const std::string& name, int64_t value);
  SearchAttributes& Double(const std::string& name, double value);
  SearchAttributes& Bool(const std::string& name, bool value);
  SearchAttributes& Datetime(const std::string& name, std::chrono::system_clock::time_point value);
  SearchAttributes& KeywordList(const std::string& name, const std::vector<std::string>& values);
  // Removes the attribute from the run (upserts only).
  SearchAttributes& Unset(const std::string& name);

  bool empty() const { return proto_.indexed_fields().empty(); }
  const api::v1::SearchAttributes& proto() const { return proto_; }

 private:
  SearchAttributes& Set(const std::string& name, std::string json);
  api::v1::SearchAttributes proto_;
};

}  // namespace weft

#endif  // WEFT_SEARCH_ATTRIBUTES_H_
