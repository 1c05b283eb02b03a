// `weft apikey ...`, `weft role ...` and `weft whoami`.
#include "cli/security_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/exit_codes.h"
#include "cli/text_table.h"

namespace weft::cli {
namespace {

using AdminStub = ServiceClient::AdminStub;

std::string FormatTime(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

struct CreateKeyArgs {
  std::string owner;
  std::vector<std::string> roles;
  std::string expires_in;
};

int RunCreateKey(const CreateKeyArgs& args, CommandEnv& env) {
  api::v1::CreateApiKeyRequest request;
  request.set_owner(args.owner);
  for (const auto& r : args.roles) request.add_roles(r);
  if (!args.expires_in.empty()) {
    absl::StatusOr<absl::Duration> d = ParseDurationFlag("--expires-in", args.expires_in);
    if (!d.ok()) return env.Fail(d.status());
    absl::Time at = absl::Now() + *d;
    request.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(at));
  }
  auto response = env.client().CallAdmin(&AdminStub::CreateApiKey, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << "API key " << response->key().id() << " for " << response->key().owner()
            << " (roles: " << absl::StrJoin(response->key().roles(), ", ") << ")\n"
            << response->secret() << "\n";
  env.err() << "weft: this is the only time the key is shown; store it now. Use it with "
               "--api-key or WEFT_API_KEY.\n";
  return kExitOk;
}

int RunListKeys(CommandEnv& env) {
  auto response = env.client().CallAdmin(&AdminStub::ListApiKeys, api::v1::ListApiKeysRequest());
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  TextTable table({"ID", "OWNER", "ROLES", "CREATED", "EXPIRES", "STATUS"});
  for (const auto& k : response->keys()) {
    table.AddRow({k.id(), k.owner(), absl::StrJoin(k.roles(), ","), FormatTime(k.create_time()),
                  FormatTime(k.expire_time()), k.revoked() ? "revoked" : "active"});
  }
  env.out() << table.Render();
  return kExitOk;
}

int RunRevokeKey(const std::string& id, CommandEnv& env) {
  api::v1::RevokeApiKeyRequest request;
  request.set_id(id);
  auto response = env.client().CallAdmin(&AdminStub::RevokeApiKey, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << "API key " << id << " revoked\n";
  return kExitOk;
}

struct GrantArgs {
  std::string subject;
  std::string role;
};

int RunGrant(const GrantArgs& args, bool grant, CommandEnv& env) {
  absl::Status status;
  if (grant) {
    api::v1::GrantRoleRequest request;
    request.set_subject(args.subject);
    request.set_role(args.role);
    auto response = env.client().CallAdmin(&AdminStub::GrantRole, request);
    if (!response.ok()) return env.Fail(response.status());
    if (env.json()) return env.PrintJson(*response);
  } else {
    api::v1::RevokeRoleRequest request;
    request.set_subject(args.subject);
    request.set_role(args.role);
    auto response = env.client().CallAdmin(&AdminStub::RevokeRole, request);
    if (!response.ok()) return env.Fail(response.status());
    if (env.json()) return env.PrintJson(*response);
  }
  env.out() << "role " << args.role << (grant ? " granted to " : " revoked from ") << args.subject
            << "\n";
  return kExitOk;
}

int RunListRoles(bool all, CommandEnv& env) {
  api::v1::ListRolesRequest request;
  if (!all) request.set_namespace_(env.options().ns);
  auto response = env.client().CallAdmin(&AdminStub::ListRoles, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  TextTable table({"SUBJECT", "ROLES"});
  for (const auto& g : response->grants()) {
    table.AddRow({g.subject(), absl::StrJoin(g.roles(), ",")});
  }
  env.out() << table.Render();
  return kExitOk;
}

int RunWhoAmI(CommandEnv& env) {
  auto response = env.client().CallAdmin(&AdminStub::WhoAmI, api::v1::WhoAmIRequest());
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  env.out() << response->subject() << " (" << response->auth_method()
            << "): " << absl::StrJoin(response->roles(), ", ") << "\n";
  return kExitOk;
}

struct AuditArgs {
  bool all = false;
  int limit = 100;
};

int RunAuditList(const AuditArgs& args, CommandEnv& env) {
  api::v1::ListAuditEventsRequest request;
  if (!args.all) request.set_namespace_(env.options().ns);
  request.set_limit(args.limit);
  auto response = env.client().CallAdmin(&AdminStub::ListAuditEvents, request);
  if (!response.ok()) return env.Fail(response.status());
  if (env.json()) return env.PrintJson(*response);
  TextTable table({"TIME", "SUBJECT", "METHOD", "NAMESPACE", "TARGET", "OUTCOME"});
  for (const auto& e : response->events()) {
    table.AddRow({e.time(), e.subject().empty() ? "-" : e.subject(), e.method(), e.namespace_(),
                  e.target(), e.outcome()});
  }
  env.out() << table.Render();
  return kExitOk;
}

constexpr char kRoleHelp[] =
    "Role: admin, or NAMESPACE:ROLE with ROLE one of namespace-admin, writer, reader, worker";

}  // namespace

void AddSecurityCommands(CLI::App& root, std::vector<Command>& commands) {
  CLI::App* apikey = root.add_subcommand("apikey", "Create, list and revoke API keys (admin)");
  apikey->require_subcommand(1);

  auto create_args = std::make_shared<CreateKeyArgs>();
  CLI::App* create = apikey->add_subcommand(
      "create", "Create an API key; it is printed once, and only its hash is stored");
  create->add_option("--owner", create_args->owner, "Who or what the key is for")->required();
  create->add_option("--role", create_args->roles, kRoleHelp)->required();
  create->add_option("--expires-in", create_args->expires_in,
                     "Lifetime, e.g. 30d (default: never expires)");
  commands.push_back(
      {create, [create_args](CommandEnv& env) { return RunCreateKey(*create_args, env); }});

  CLI::App* list = apikey->add_subcommand("list", "List API keys (never their secrets)");
  commands.push_back({list, [](CommandEnv& env) { return RunListKeys(env); }});

  auto revoke_id = std::make_shared<std::string>();
  CLI::App* revoke = apikey->add_subcommand("revoke", "Revoke an API key at once");
  revoke->add_option("id", *revoke_id, "Key id (see weft apikey list)")->required();
  commands.push_back(
      {revoke, [revoke_id](CommandEnv& env) { return RunRevokeKey(*revoke_id, env); }});

  CLI::App* role = root.add_subcommand(
      "role", "Grant, revoke and list roles of users (JWT subjects), apikey:<id> and cert:<name>");
  role->require_subcommand(1);
  for (bool grant : {true, false}) {
    auto args = std::make_shared<GrantArgs>();
    CLI::App* cmd = role->add_subcommand(
        grant ? "grant" : "revoke",
        grant ? "Grant a role to a subject" : "Revoke a granted role from a subject");
    cmd->add_option("--subject", args->subject, "alice, apikey:<id> or cert:<common name>")
        ->required();
    cmd->add_option("--role", args->role, kRoleHelp)->required();
    commands.push_back(
        {cmd, [args, grant](CommandEnv& env) { return RunGrant(*args, grant, env); }});
  }
  auto all = std::make_shared<bool>(false);
  CLI::App* list_roles =
      role->add_subcommand("list", "List granted roles in the namespace (-n), or --all");
  list_roles->add_flag("--all", *all, "Every namespace (admin only)");
  commands.push_back({list_roles, [all](CommandEnv& env) { return RunListRoles(*all, env); }});

  CLI::App* audit = root.add_subcommand("audit", "Read the server's audit log");
  audit->require_subcommand(1);
  auto audit_args = std::make_shared<AuditArgs>();
  CLI::App* audit_list = audit->add_subcommand(
      "list", "Newest writes and denials in the namespace (-n), or --all (admin only)");
  audit_list->add_flag("--all", audit_args->all, "Every namespace");
  audit_list->add_option("--limit", audit_args->limit, "How many, newest last")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  commands.push_back(
      {audit_list, [audit_args](CommandEnv& env) { return RunAuditList(*audit_args, env); }});

  CLI::App* whoami = root.add_subcommand("whoami", "Show who the server takes you for");
  commands.push_back({whoami, [](CommandEnv& env) { return RunWhoAmI(env); }});
}

}  // namespace weft::cli
