// `weft namespace ...`: register, describe and list namespaces.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/exit_codes.h"
#include "cli/output_format.h"

namespace weft::cli {
namespace {

using api::v1::WorkflowService;
using Stub = ServiceClient::Stub;

struct CreateArgs {
  std::string name;
  std::string description;
  std::string owner_email;
  std::string retention;
};

int RunCreate(const CreateArgs& args, CommandEnv& env) {
  api::v1::RegisterNamespaceRequest request;
  request.set_namespace_(args.name);
  request.set_description(args.description);
  request.set_owner_email(args.owner_email);
  if (!args.retention.empty()) {
    absl::StatusOr<absl::Duration> retention = ParseDurationFlag("--retention", args.retention);
    if (!retention.ok()) return env.Fail(retention.status());
    *request.mutable_workflow_execution_retention_period() = ToProtoDuration(*retention);
  }
  auto response = env.client().Call(&Stub::RegisterNamespace, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << "namespace \"" << args.name << "\" registered\n";
  return kExitOk;
}

int RunDescribe(const std::string& name, CommandEnv& env) {
  api::v1::DescribeNamespaceRequest request;
  request.set_namespace_(name);
  auto response = env.client().Call(&Stub::DescribeNamespace, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << FormatNamespaceInfo(response->namespace_info());
  env.out() << "Circuit breakers: "
            << FormatBreakerConfig(response->namespace_info().circuit_breaker_config()) << "\n";
  return kExitOk;
}

int RunList(CommandEnv& env) {
  api::v1::ListNamespacesResponse all;
  api::v1::ListNamespacesRequest request;
  request.set_page_size(100);
  do {
    auto page = env.client().Call(&Stub::ListNamespaces, request);
    if (!page.ok()) return env.Fail(page.status());
    for (auto& ns : *page->mutable_namespaces()) *all.add_namespaces() = std::move(ns);
    request.set_next_page_token(page->next_page_token());
  } while (!request.next_page_token().empty());
  if (env.json()) return env.PrintJson(all);
  env.out() << FormatNamespaceTable(all.namespaces());
  return kExitOk;
}

}  // namespace

void AddNamespaceCommands(CLI::App& root, std::vector<Command>& commands) {
  CLI::App* ns = root.add_subcommand("namespace", "Register, describe and list namespaces");
  ns->require_subcommand(1);

  auto create_args = std::make_shared<CreateArgs>();
  CLI::App* create = ns->add_subcommand("create", "Register a new namespace");
  create->add_option("name", create_args->name, "Namespace name")->required();
  create->add_option("--description", create_args->description, "Free-text description");
  create->add_option("--owner-email", create_args->owner_email, "Who to ask about it");
  create->add_option("--retention", create_args->retention,
                     "How long closed workflows are kept, e.g. 3d or 72h (server default: 72h)");
  commands.push_back(
      {create, [create_args](CommandEnv& env) { return RunCreate(*create_args, env); }});

  auto describe_name = std::make_shared<std::string>();
  CLI::App* describe = ns->add_subcommand("describe", "Show one namespace");
  describe->add_option("name", *describe_name, "Namespace name")->required();
  commands.push_back(
      {describe, [describe_name](CommandEnv& env) { return RunDescribe(*describe_name, env); }});

  CLI::App* list = ns->add_subcommand("list", "List all namespaces");
  commands.push_back({list, [](CommandEnv& env) { return RunList(env); }});

  AddNamespaceUpdateCommand(*ns, commands);
}

}  // namespace weft::cli
