// `weft search-attribute add|list`, `weft workflow count`, and the --search-attr values of
// `weft workflow start` (parsed by the attribute's registered type).
#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/text_table.h"

namespace weft::cli {
namespace {

using Stub = ServiceClient::Stub;
using AdminStub = ServiceClient::AdminStub;

struct TypeFlag {
  const char* flag;
  api::v1::IndexedValueType type;
};
constexpr TypeFlag kTypeFlags[] = {
    {"keyword", api::v1::INDEXED_VALUE_TYPE_KEYWORD},
    {"text", api::v1::INDEXED_VALUE_TYPE_TEXT},
    {"int", api::v1::INDEXED_VALUE_TYPE_INT},
    {"double", api::v1::INDEXED_VALUE_TYPE_DOUBLE},
    {"bool", api::v1::INDEXED_VALUE_TYPE_BOOL},
    {"datetime", api::v1::INDEXED_VALUE_TYPE_DATETIME},
    {"keyword-list", api::v1::INDEXED_VALUE_TYPE_KEYWORD_LIST},
};

std::string TypeFlagName(api::v1::IndexedValueType t) {
  for (const auto& f : kTypeFlags) {
    if (f.type == t) return f.flag;
  }
  return "unknown";
}

std::vector<std::string> TypeFlagNames() {
  std::vector<std::string> out;
  for (const auto& f : kTypeFlags) out.push_back(f.flag);
  return out;
}

// ---- search-attribute add / list ----

struct AddArgs {
  std::vector<std::string> names;
  std::string type;
};

int RunAdd(const AddArgs& args, CommandEnv& env) {
  api::v1::AddSearchAttributesRequest request;
  request.set_namespace_(env.options().ns);
  api::v1::IndexedValueType type = api::v1::INDEXED_VALUE_TYPE_UNSPECIFIED;
  for (const auto& f : kTypeFlags) {
    if (args.type == f.flag) type = f.type;
  }
  for (const auto& name : args.names) (*request.mutable_search_attributes())[name] = type;
  auto response = env.client().CallAdmin(&AdminStub::AddSearchAttributes, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << "added " << absl::StrJoin(args.names, ", ") << " (" << args.type
            << ") to namespace \"" << env.options().ns << "\"\n";
  return kExitOk;
}

int RunList(CommandEnv& env) {
  api::v1::ListSearchAttributesRequest request;
  request.set_namespace_(env.options().ns);
  auto response = env.client().CallAdmin(&AdminStub::ListSearchAttributes, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  TextTable table({"NAME", "TYPE", "KIND"});
  std::map<std::string, api::v1::IndexedValueType> custom(response->custom_attributes().begin(),
                                                          response->custom_attributes().end());
  std::map<std::string, api::v1::IndexedValueType> system(response->system_attributes().begin(),
                                                          response->system_attributes().end());
  for (const auto& [name, type] : custom) table.AddRow({name, TypeFlagName(type), "custom"});
  for (const auto& [name, type] : system) table.AddRow({name, TypeFlagName(type), "system"});
  env.out() << table.Render();
  return kExitOk;
}

// ---- workflow count ----

struct CountArgs {
  std::string query;
};

int RunCount(const CountArgs& args, CommandEnv& env) {
  api::v1::CountWorkflowExecutionsRequest request;
  request.set_namespace_(env.options().ns);
  request.set_query(args.query);
  auto response = env.client().Call(&Stub::CountWorkflowExecutions, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << response->count() << "\n";
  return kExitOk;
}

}  // namespace

absl::StatusOr<api::v1::SearchAttributes> ParseSearchAttrFlags(
    const std::vector<std::string>& flags, CommandEnv& env) {
  api::v1::SearchAttributes out;
  if (flags.empty()) return out;
  api::v1::ListSearchAttributesRequest request;
  request.set_namespace_(env.options().ns);
  auto registered = env.client().CallAdmin(&AdminStub::ListSearchAttributes, request);
  if (!registered.ok()) return registered.status();
  for (const std::string& flag : flags) {
    size_t eq = flag.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--search-attr \"", flag, "\": expected Name=Value, e.g. CustomerId=c-42"));
    }
    std::string name = flag.substr(0, eq);
    std::string value = flag.substr(eq + 1);
    auto it = registered->custom_attributes().find(name);
    if (it == registered->custom_attributes().end()) {
      std::vector<std::string> names;
      for (const auto& [n, t] : registered->custom_attributes()) names.push_back(n);
      std::sort(names.begin(), names.end());
      return absl::InvalidArgumentError(absl::StrCat(
          "--search-attr: \"", name, "\" is not a custom search attribute of namespace \"",
          env.options().ns, "\" (registered: ", names.empty() ? "none" : absl::StrJoin(names, ", "),
          "); add it with: weft search-attribute add --name ", name, " --type keyword"));
    }
    nlohmann::json j;
    auto bad = [&](const char* want) {
      return absl::InvalidArgumentError(absl::StrCat("--search-attr ", name, "=", value, ": ", name,
                                                     " is registered as ", TypeFlagName(it->second),
                                                     "; expected ", want));
    };
    switch (it->second) {
      case api::v1::INDEXED_VALUE_TYPE_KEYWORD:
      case api::v1::INDEXED_VALUE_TYPE_TEXT:
      case api::v1::INDEXED_VALUE_TYPE_DATETIME:
        j = value;  // the server checks the time format
        break;
      case api::v1::INDEXED_VALUE_TYPE_INT:
      case api::v1::INDEXED_VALUE_TYPE_DOUBLE: {
        j = nlohmann::json::parse(value, nullptr, false);
        bool ok =
            it->second == api::v1::INDEXED_VALUE_TYPE_INT ? j.is_number_integer() : j.is_number();
        if (!ok) {
          return bad(it->second == api::v1::INDEXED_VALUE_TYPE_INT ? "an integer" : "a number");
        }
        break;
      }
      case api::v1::INDEXED_VALUE_TYPE_BOOL: {
        std::string v = absl::AsciiStrToLower(value);
        if (v != "true" && v != "false") return bad("true or false");
        j = v == "true";
        break;
      }
      case api::v1::INDEXED_VALUE_TYPE_KEYWORD_LIST:
        // A JSON array, or comma-separated words.
        j = nlohmann::json::parse(value, nullptr, false);
        if (!j.is_array()) {
          j = nlohmann::json::array();
          for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipEmpty())) {
            j.push_back(std::string(absl::StripAsciiWhitespace(part)));
          }
        }
        break;
      default:
        return bad("a registered type");
    }
    api::v1::Payload& p = (*out.mutable_indexed_fields())[name];
    (*p.mutable_metadata())["encoding"] = "json/plain";
    p.set_data(j.dump());
  }
  return out;
}

std::string FormatSearchAttributes(const api::v1::SearchAttributes& attributes) {
  if (attributes.indexed_fields().empty()) return "";
  std::map<std::string, std::string> sorted;
  for (const auto& [name, p] : attributes.indexed_fields()) sorted[name] = p.data();
  std::string out = "Search attributes:\n";
  for (const auto& [name, json] : sorted) absl::StrAppend(&out, "  ", name, " = ", json, "\n");
  return out;
}

void AddWorkflowCountCommand(CLI::App& wf, std::vector<Command>& commands) {
  auto args = std::make_shared<CountArgs>();
  CLI::App* cmd = wf.add_subcommand("count", "Count workflows matching a list query");
  cmd->add_option("--query", args->query,
                  "e.g. \"WorkflowType = 'Greeting' AND ExecutionStatus = 'Running'\" "
                  "(default: all)");
  commands.push_back({cmd, [args](CommandEnv& env) { return RunCount(*args, env); }});
}

void AddSearchAttributeCommands(CLI::App& root, std::vector<Command>& commands) {
  CLI::App* sa = root.add_subcommand(
      "search-attribute", "Register and list the custom search attributes of a namespace");
  sa->require_subcommand(1);
  {
    auto args = std::make_shared<AddArgs>();
    CLI::App* cmd = sa->add_subcommand("add", "Register a custom search attribute");
    cmd->add_option("--name", args->names, "Attribute name, e.g. CustomerId; repeat for more")
        ->required();
    cmd->add_option("--type", args->type, "Its type")
        ->required()
        ->check(CLI::IsMember(TypeFlagNames()));
    commands.push_back({cmd, [args](CommandEnv& env) { return RunAdd(*args, env); }});
  }
  {
    CLI::App* cmd = sa->add_subcommand("list", "List the search attributes queries may use");
    commands.push_back({cmd, [](CommandEnv& env) { return RunList(env); }});
  }
}

}  // namespace weft::cli
