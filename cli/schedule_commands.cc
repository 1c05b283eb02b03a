// `weft schedule create|update|describe|list|pause|unpause|trigger|backfill|delete`: schedules that
// start a workflow on a cron expression or an interval.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/event_summary.h"
#include "cli/exit_codes.h"
#include "cli/names.h"
#include "cli/payload_json.h"
#include "cli/text_table.h"

namespace weft::cli {
namespace {

using Stub = ServiceClient::Stub;

const std::vector<std::pair<std::string, api::v1::ScheduleOverlapPolicy>>& PolicyNames() {
  static const auto* kNames =
      new std::vector<std::pair<std::string, api::v1::ScheduleOverlapPolicy>>{
          {"skip", api::v1::SCHEDULE_OVERLAP_POLICY_SKIP},
          {"buffer-one", api::v1::SCHEDULE_OVERLAP_POLICY_BUFFER_ONE},
          {"buffer-all", api::v1::SCHEDULE_OVERLAP_POLICY_BUFFER_ALL},
          {"cancel-other", api::v1::SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER},
          {"terminate-other", api::v1::SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER},
          {"allow-all", api::v1::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL},
      };
  return *kNames;
}

std::vector<std::string> PolicyFlagValues() {
  std::vector<std::string> out;
  for (const auto& [name, _] : PolicyNames()) out.push_back(name);
  return out;
}

api::v1::ScheduleOverlapPolicy ParsePolicy(const std::string& name) {
  for (const auto& [n, p] : PolicyNames()) {
    if (n == name) return p;
  }
  return api::v1::SCHEDULE_OVERLAP_POLICY_UNSPECIFIED;
}

std::string PolicyName(api::v1::ScheduleOverlapPolicy p) {
  if (p == api::v1::SCHEDULE_OVERLAP_POLICY_UNSPECIFIED) return "skip";
  for (const auto& [n, policy] : PolicyNames()) {
    if (policy == p) return n;
  }
  return absl::StrCat(static_cast<int>(p));
}

absl::StatusOr<absl::Time> ParseTimeFlag(const std::string& flag, const std::string& text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": invalid time \"", text,
                                                   "\": use RFC 3339, e.g. 2026-01-01T00:00:00Z"));
  }
  return t;
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  ts.set_nanos(
      static_cast<int32_t>((t - absl::FromUnixSeconds(ts.seconds())) / absl::Nanoseconds(1)));
  return ts;
}

std::string SpecSummary(const api::v1::ScheduleSpec& spec) {
  std::vector<std::string> parts;
  for (const auto& c : spec.cron_expressions()) parts.push_back(absl::StrCat("cron '", c, "'"));
  for (const auto& iv : spec.intervals()) {
    std::string s = absl::StrCat("every ", DurationToText(FromProtoDuration(iv.interval())));
    if (FromProtoDuration(iv.phase()) > absl::ZeroDuration()) {
      absl::StrAppend(&s, " (phase ", DurationToText(FromProtoDuration(iv.phase())), ")");
    }
    parts.push_back(std::move(s));
  }
  std::string out = absl::StrJoin(parts, "; ");
  if (spec.has_start_time()) absl::StrAppend(&out, "; from ", FormatTimestamp(spec.start_time()));
  if (spec.has_end_time()) absl::StrAppend(&out, "; until ", FormatTimestamp(spec.end_time()));
  if (FromProtoDuration(spec.jitter()) > absl::ZeroDuration()) {
    absl::StrAppend(&out, "; jitter ", DurationToText(FromProtoDuration(spec.jitter())));
  }
  return out;
}

std::string StateSummary(const api::v1::ScheduleState& state) {
  std::string out = state.paused() ? "paused" : "active";
  if (!state.notes().empty()) absl::StrAppend(&out, " (", state.notes(), ")");
  return out;
}

// ---- create ----

struct CreateArgs {
  std::string schedule_id;
  std::vector<std::string> cron;
  std::string interval;
  std::string phase;
  std::string jitter;
  std::string workflow_type;
  std::string task_queue;
  std::string workflow_id;
  std::vector<std::string> input;
  std::string overlap_policy = "skip";
  std::string catchup_window;
  std::string start_time;
  std::string end_time;
  bool pause_on_failure = false;
  bool paused = false;
  std::string notes;
  int64_t remaining_actions = -1;  // -1: unlimited
};

absl::StatusOr<api::v1::Schedule> BuildSchedule(const CreateArgs& a) {
  if (a.cron.empty() && a.interval.empty()) {
    return absl::InvalidArgumentError("give --cron EXPR or --interval DURATION");
  }
  if (a.interval.empty() && !a.phase.empty()) {
    return absl::InvalidArgumentError("--phase goes with --interval");
  }
  api::v1::Schedule s;
  auto* spec = s.mutable_spec();
  for (const auto& c : a.cron) spec->add_cron_expressions(c);
  if (!a.interval.empty()) {
    auto every = ParseDurationFlag("--interval", a.interval);
    if (!every.ok()) return every.status();
    auto* iv = spec->add_intervals();
    *iv->mutable_interval() = ToProtoDuration(*every);
    if (!a.phase.empty()) {
      auto phase = ParseDurationFlag("--phase", a.phase);
      if (!phase.ok()) return phase.status();
      *iv->mutable_phase() = ToProtoDuration(*phase);
    }
  }
  if (!a.jitter.empty()) {
    auto j = ParseDurationFlag("--jitter", a.jitter);
    if (!j.ok()) return j.status();
    *spec->mutable_jitter() = ToProtoDuration(*j);
  }
  if (!a.start_time.empty()) {
    auto t = ParseTimeFlag("--start-time", a.start_time);
    if (!t.ok()) return t.status();
    *spec->mutable_start_time() = ToTimestamp(*t);
  }
  if (!a.end_time.empty()) {
    auto t = ParseTimeFlag("--end-time", a.end_time);
    if (!t.ok()) return t.status();
    *spec->mutable_end_time() = ToTimestamp(*t);
  }
  auto* wf = s.mutable_action()->mutable_start_workflow();
  wf->set_workflow_id(a.workflow_id);
  wf->mutable_workflow_type()->set_name(a.workflow_type);
  wf->mutable_task_queue()->set_name(a.task_queue);
  if (!a.input.empty()) {
    auto input = JsonToPayloads(a.input, "--input");
    if (!input.ok()) return input.status();
    *wf->mutable_input() = std::move(*input);
  }
  auto* policies = s.mutable_policies();
  policies->set_overlap_policy(ParsePolicy(a.overlap_policy));
  if (!a.catchup_window.empty()) {
    auto w = ParseDurationFlag("--catchup-window", a.catchup_window);
    if (!w.ok()) return w.status();
    *policies->mutable_catchup_window() = ToProtoDuration(*w);
  }
  policies->set_pause_on_failure(a.pause_on_failure);
  auto* state = s.mutable_state();
  state->set_paused(a.paused);
  state->set_notes(a.notes);
  if (a.remaining_actions >= 0) {
    state->set_limited_actions(true);
    state->set_remaining_actions(a.remaining_actions);
  }
  return s;
}

int RunCreate(const CreateArgs& args, CommandEnv& env) {
  auto schedule = BuildSchedule(args);
  if (!schedule.ok()) return env.Fail(schedule.status());
  api::v1::CreateScheduleRequest req;
  req.set_namespace_(env.options().ns);
  req.set_schedule_id(args.schedule_id);
  *req.mutable_schedule() = std::move(*schedule);
  req.set_identity(env.identity());
  auto resp = env.client().Call(&Stub::CreateSchedule, req);
  if (!resp.ok()) return env.Fail(resp.status());
  if (env.json()) return env.PrintJson(req);
  env.out() << "Created schedule " << args.schedule_id << "\n";
  return kExitOk;
}

// ---- update ----

// Changes what the flags name and keeps the rest; refused if the schedule changed between
// the read and the write (conflict token).
int RunUpdate(const CreateArgs& a, CommandEnv& env) {
  api::v1::DescribeScheduleRequest get;
  get.set_namespace_(env.options().ns);
  get.set_schedule_id(a.schedule_id);
  auto current = env.client().Call(&Stub::DescribeSchedule, get);
  if (!current.ok()) return env.Fail(current.status());
  api::v1::Schedule s = current->schedule();
  if (!a.cron.empty() || !a.interval.empty()) {
    CreateArgs spec_only = a;
    spec_only.workflow_type = "-";
    spec_only.task_queue = "-";
    spec_only.input.clear();
    auto built = BuildSchedule(spec_only);
    if (!built.ok()) return env.Fail(built.status());
    s.mutable_spec()->clear_cron_expressions();
    s.mutable_spec()->clear_intervals();
    *s.mutable_spec()->mutable_cron_expressions() = built->spec().cron_expressions();
    *s.mutable_spec()->mutable_intervals() = built->spec().intervals();
  } else if (!a.phase.empty()) {
    return env.Fail(absl::InvalidArgumentError("--phase goes with --interval"));
  }
  auto* wf = s.mutable_action()->mutable_start_workflow();
  if (!a.workflow_type.empty()) wf->mutable_workflow_type()->set_name(a.workflow_type);
  if (!a.task_queue.empty()) wf->mutable_task_queue()->set_name(a.task_queue);
  if (!a.workflow_id.empty()) wf->set_workflow_id(a.workflow_id);
  if (!a.input.empty()) {
    auto input = JsonToPayloads(a.input, "--input");
    if (!input.ok()) return env.Fail(input.status());
    *wf->mutable_input() = std::move(*input);
  }
  if (!a.overlap_policy.empty()) {
    s.mutable_policies()->set_overlap_policy(ParsePolicy(a.overlap_policy));
  }
  if (!a.catchup_window.empty()) {
    auto w = ParseDurationFlag("--catchup-window", a.catchup_window);
    if (!w.ok()) return env.Fail(w.status());
    *s.mutable_policies()->mutable_catchup_window() = ToProtoDuration(*w);
  }
  if (a.remaining_actions >= 0) {
    s.mutable_state()->set_limited_actions(true);
    s.mutable_state()->set_remaining_actions(a.remaining_actions);
  }
  if (!a.notes.empty()) s.mutable_state()->set_notes(a.notes);
  api::v1::UpdateScheduleRequest req;
  req.set_namespace_(env.options().ns);
  req.set_schedule_id(a.schedule_id);
  *req.mutable_schedule() = std::move(s);
  req.set_conflict_token(current->conflict_token());
  req.set_identity(env.identity());
  auto resp = env.client().Call(&Stub::UpdateSchedule, req);
  if (!resp.ok()) return env.Fail(resp.status());
  if (env.json()) return env.PrintJson(req);
  env.out() << "Updated schedule " << a.schedule_id << "\n";
  return kExitOk;
}

// ---- describe / list ----

std::string RecentActionsTable(
    const google::protobuf::RepeatedPtrField<api::v1::ScheduleActionResult>& actions) {
  TextTable table({"SCHEDULED", "TAKEN", "WORKFLOW ID", "STATUS"});
  for (const auto& a : actions) {
    table.AddRow({FormatTimestamp(a.schedule_time()), FormatTimestamp(a.actual_time()),
                  a.start_workflow_result().workflow_id(),
                  StatusDisplayName(a.start_workflow_status())});
  }
  return table.Render();
}

int RunDescribe(const std::string& id, CommandEnv& env) {
  api::v1::DescribeScheduleRequest req;
  req.set_namespace_(env.options().ns);
  req.set_schedule_id(id);
  auto resp = env.client().Call(&Stub::DescribeSchedule, req);
  if (!resp.ok()) return env.Fail(resp.status());
  if (env.json()) return env.PrintJson(*resp);
  const auto& s = resp->schedule();
  const auto& info = resp->info();
  const auto& wf = s.action().start_workflow();
  std::vector<std::pair<std::string, std::string>> rows = {
      {"Schedule:", id},
      {"Spec:", SpecSummary(s.spec())},
      {"Action:",
       absl::StrCat("start ", wf.workflow_type().name(), " on task queue ", wf.task_queue().name(),
                    " as ", wf.workflow_id().empty() ? id : wf.workflow_id(), "-<time>")},
      {"Overlap:", PolicyName(s.policies().overlap_policy())},
      {"Catch-up:", s.policies().has_catchup_window()
                        ? DurationToText(FromProtoDuration(s.policies().catchup_window()))
                        : std::string("1m (default)")},
      {"State:", StateSummary(s.state())},
  };
  if (s.policies().pause_on_failure()) rows.push_back({"On failure:", "pause"});
  if (s.state().limited_actions()) {
    rows.push_back({"Remaining:", absl::StrCat(s.state().remaining_actions(), " actions")});
  }
  rows.push_back(
      {"Actions:", absl::StrCat(info.action_count(), " taken, ", info.overlap_skipped(),
                                " skipped (overlap), ", info.missed_catchup_window(),
                                " missed (catch-up window), ", info.buffer_dropped(),
                                " dropped from the buffer, ", info.buffer_size(), " buffered")});
  std::vector<std::string> running;
  for (const auto& r : info.running_workflows()) running.push_back(r.workflow_id());
  rows.push_back({"Running:", running.empty() ? "none" : absl::StrJoin(running, ", ")});
  std::vector<std::string> next;
  for (const auto& t : info.future_action_times()) next.push_back(FormatTimestamp(t));
  rows.push_back({"Next:", next.empty() ? "none" : absl::StrJoin(next, ", ")});
  rows.push_back({"Created:", FormatTimestamp(info.create_time())});
  for (const auto& [k, v] : rows) env.out() << absl::StrFormat("%-12s%s\n", k, v);
  if (info.recent_actions_size() > 0) {
    env.out() << "Recent actions:\n" << RecentActionsTable(info.recent_actions());
  }
  return kExitOk;
}

int RunList(CommandEnv& env) {
  api::v1::ListSchedulesResponse all;
  api::v1::ListSchedulesRequest req;
  req.set_namespace_(env.options().ns);
  do {
    auto resp = env.client().Call(&Stub::ListSchedules, req);
    if (!resp.ok()) return env.Fail(resp.status());
    for (auto& s : *resp->mutable_schedules()) *all.add_schedules() = std::move(s);
    req.set_next_page_token(resp->next_page_token());
  } while (!req.next_page_token().empty());
  if (env.json()) return env.PrintJson(all);
  TextTable table({"SCHEDULE ID", "WORKFLOW TYPE", "SPEC", "STATE", "NEXT ACTION"});
  for (const auto& s : all.schedules()) {
    api::v1::ScheduleState state;
    state.set_paused(s.paused());
    state.set_notes(s.notes());
    table.AddRow(
        {s.schedule_id(), s.workflow_type().name(), SpecSummary(s.spec()), StateSummary(state),
         s.future_action_times_size() > 0 ? FormatTimestamp(s.future_action_times(0)) : "-"});
  }
  env.out() << table.Render();
  return kExitOk;
}

// ---- patch / delete ----

int RunPatch(const std::string& id, api::v1::SchedulePatch patch, const std::string& done,
             CommandEnv& env) {
  api::v1::PatchScheduleRequest req;
  req.set_namespace_(env.options().ns);
  req.set_schedule_id(id);
  *req.mutable_patch() = std::move(patch);
  req.set_identity(env.identity());
  auto resp = env.client().Call(&Stub::PatchSchedule, req);
  if (!resp.ok()) return env.Fail(resp.status());
  if (env.json()) return env.PrintJson(req);
  env.out() << done << "\n";
  return kExitOk;
}

struct BackfillArgs {
  std::string id;
  std::string start_time;
  std::string end_time;
  std::string overlap_policy;
};

int RunBackfill(const BackfillArgs& a, CommandEnv& env) {
  auto start = ParseTimeFlag("--start-time", a.start_time);
  if (!start.ok()) return env.Fail(start.status());
  auto end = ParseTimeFlag("--end-time", a.end_time);
  if (!end.ok()) return env.Fail(end.status());
  api::v1::SchedulePatch patch;
  auto* b = patch.add_backfill_request();
  *b->mutable_start_time() = ToTimestamp(*start);
  *b->mutable_end_time() = ToTimestamp(*end);
  if (!a.overlap_policy.empty()) b->set_overlap_policy(ParsePolicy(a.overlap_policy));
  return RunPatch(a.id, std::move(patch), absl::StrCat("Backfilled schedule ", a.id), env);
}

int RunDelete(const std::string& id, CommandEnv& env) {
  api::v1::DeleteScheduleRequest req;
  req.set_namespace_(env.options().ns);
  req.set_schedule_id(id);
  req.set_identity(env.identity());
  auto resp = env.client().Call(&Stub::DeleteSchedule, req);
  if (!resp.ok()) return env.Fail(resp.status());
  if (env.json()) return env.PrintJson(req);
  env.out() << "Deleted schedule " << id << " (the workflows it started are not touched)\n";
  return kExitOk;
}

CLI::Option* AddIdOption(CLI::App* app, std::string& id) {
  return app->add_option("-s,--schedule-id", id, "Schedule id")->required();
}

}  // namespace

void AddScheduleCommands(CLI::App& root, std::vector<Command>& commands) {
  CLI::App* sched = root.add_subcommand(
      "schedule", "Start workflows on a cron expression or an interval (times are UTC)");
  sched->require_subcommand(1);

  {
    auto a = std::make_shared<CreateArgs>();
    CLI::App* c = sched->add_subcommand("create", "Create a schedule");
    AddIdOption(c, a->schedule_id);
    c->add_option("--cron", a->cron,
                  "Cron expression: 'MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK', or @hourly, "
                  "@daily, @weekly, @monthly, @yearly, '@every 90s' (repeatable)");
    c->add_option("--interval", a->interval, "Start a workflow every DURATION (e.g. 1h)");
    c->add_option("--phase", a->phase, "Offset of --interval from the epoch (e.g. 15m)");
    c->add_option("--jitter", a->jitter, "Delay each action by up to DURATION");
    c->add_option("--start-time", a->start_time, "No actions before this time (RFC 3339)");
    c->add_option("--end-time", a->end_time, "No actions after this time (RFC 3339)");
    c->add_option("--workflow-type,--type", a->workflow_type, "Workflow type")->required();
    c->add_option("-q,--task-queue", a->task_queue, "Task queue")->required();
    c->add_option("-w,--workflow-id", a->workflow_id,
                  "Workflow id prefix; each run gets '<prefix>-<schedule time>' (default: the "
                  "schedule id)");
    c->add_option("-i,--input", a->input, "JSON argument of the workflow (repeatable)");
    c->add_option("--overlap-policy", a->overlap_policy,
                  "When the previous run still runs: skip, buffer-one, buffer-all, "
                  "cancel-other, terminate-other, allow-all")
        ->check(CLI::IsMember(PolicyFlagValues()))
        ->capture_default_str();
    c->add_option("--catchup-window", a->catchup_window,
                  "After downtime, still take actions missed by at most this long (default 1m)");
    c->add_flag("--pause-on-failure", a->pause_on_failure,
                "Pause when a started workflow fails or times out");
    c->add_flag("--paused", a->paused, "Create the schedule paused");
    c->add_option("--notes", a->notes, "Notes (e.g. why it is paused)");
    c->add_option("--remaining-actions", a->remaining_actions,
                  "Stop after N actions (default: no limit)")
        ->check(CLI::NonNegativeNumber);
    commands.push_back({c, [a](CommandEnv& env) { return RunCreate(*a, env); }});
  }
  {
    auto a = std::make_shared<CreateArgs>();
    a->overlap_policy.clear();
    CLI::App* c = sched->add_subcommand(
        "update", "Change a schedule: the flags given replace those parts, the rest is kept");
    AddIdOption(c, a->schedule_id);
    c->add_option("--cron", a->cron, "Replace the times with these cron expressions");
    c->add_option("--interval", a->interval, "Replace the times with this interval");
    c->add_option("--phase", a->phase, "Offset of --interval from the epoch");
    c->add_option("--workflow-type,--type", a->workflow_type, "Workflow type");
    c->add_option("-q,--task-queue", a->task_queue, "Task queue");
    c->add_option("-w,--workflow-id", a->workflow_id, "Workflow id prefix");
    c->add_option("-i,--input", a->input, "JSON argument of the workflow (repeatable)");
    c->add_option("--overlap-policy", a->overlap_policy, "Overlap policy")
        ->check(CLI::IsMember(PolicyFlagValues()));
    c->add_option("--catchup-window", a->catchup_window, "Catch-up window");
    c->add_option("--notes", a->notes, "Notes");
    c->add_option("--remaining-actions", a->remaining_actions, "Stop after N more actions")
        ->check(CLI::NonNegativeNumber);
    commands.push_back({c, [a](CommandEnv& env) { return RunUpdate(*a, env); }});
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* c = sched->add_subcommand(
        "describe", "Show a schedule: spec, action, policies, counts, recent and next actions");
    AddIdOption(c, *id);
    commands.push_back({c, [id](CommandEnv& env) { return RunDescribe(*id, env); }});
  }
  {
    CLI::App* c = sched->add_subcommand("list", "List the namespace's schedules");
    commands.push_back({c, [](CommandEnv& env) { return RunList(env); }});
  }
  for (bool pause : {true, false}) {
    auto id = std::make_shared<std::string>();
    auto reason = std::make_shared<std::string>();
    CLI::App* c = sched->add_subcommand(pause ? "pause" : "unpause",
                                        pause ? "Pause a schedule (no actions until unpaused)"
                                              : "Unpause a schedule (missed times are not "
                                                "caught up)");
    AddIdOption(c, *id);
    c->add_option("--reason,--notes", *reason, "Why (shown in describe)");
    commands.push_back(
        {c, [id, reason, pause](CommandEnv& env) {
           api::v1::SchedulePatch patch;
           std::string note =
               reason->empty() ? absl::StrCat(pause ? "paused" : "unpaused", " by ", env.identity())
                               : *reason;
           if (pause) {
             patch.set_pause(note);
           } else {
             patch.set_unpause(note);
           }
           return RunPatch(*id, std::move(patch),
                           absl::StrCat(pause ? "Paused" : "Unpaused", " schedule ", *id), env);
         }});
  }
  {
    auto id = std::make_shared<std::string>();
    auto policy = std::make_shared<std::string>();
    CLI::App* c = sched->add_subcommand("trigger", "Take one action now");
    AddIdOption(c, *id);
    c->add_option("--overlap-policy", *policy,
                  "Overlap policy for this action (default: the "
                  "schedule's)")
        ->check(CLI::IsMember(PolicyFlagValues()));
    commands.push_back(
        {c, [id, policy](CommandEnv& env) {
           api::v1::SchedulePatch patch;
           patch.mutable_trigger_immediately()->set_overlap_policy(ParsePolicy(*policy));
           return RunPatch(*id, std::move(patch), absl::StrCat("Triggered schedule ", *id), env);
         }});
  }
  {
    auto a = std::make_shared<BackfillArgs>();
    CLI::App* c = sched->add_subcommand(
        "backfill", "Take the actions the schedule would have taken between two times");
    AddIdOption(c, a->id);
    c->add_option("--start-time", a->start_time, "From (RFC 3339, inclusive)")->required();
    c->add_option("--end-time", a->end_time, "To (RFC 3339, inclusive)")->required();
    c->add_option("--overlap-policy", a->overlap_policy,
                  "Overlap policy for these actions (default: the schedule's)")
        ->check(CLI::IsMember(PolicyFlagValues()));
    commands.push_back({c, [a](CommandEnv& env) { return RunBackfill(*a, env); }});
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* c = sched->add_subcommand(
        "delete", "Delete a schedule (the workflows it started keep running)");
    AddIdOption(c, *id);
    commands.push_back({c, [id](CommandEnv& env) { return RunDelete(*id, env); }});
  }
}

}  // namespace weft::cli
