#include "orchestrator/cli/apply_command.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "orchestrator/cli/cluster_commands.h"
#include "orchestrator/cli/run_view.h"
#include "plans/model/document_io.h"
#include "plans/model/fingerprint.h"
#include "plans/model/plan_json.h"
#include "plans/ordering/schedule.h"
#include "plans/render/render.h"

namespace drover::cli {
namespace {

struct ApplyArgs {
  std::string plan_file;
  bool dry_run = false;
  bool force = false;
  bool detach = false;
};

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s + " ";
}

std::string GuestName(const plans::Step& s) {
  return s.new_name.empty() ? s.guest : s.guest + ">" + s.new_name;
}

std::string Progress(const DryRunEvent& e, size_t steps, int64_t bytes) {
  double done = bytes > 0 ? static_cast<double>(e.bytes_done) / static_cast<double>(bytes)
                          : (steps > 0 ? static_cast<double>(e.steps_done) / steps : 1.0);
  char pct[16];
  std::snprintf(pct, sizeof pct, "%3.0f%%", 100 * done);
  return std::string(pct) + "  " + std::to_string(e.steps_done) + "/" + std::to_string(steps) +
         " steps, " + plans::FormatBytes(static_cast<double>(e.bytes_done)) + " of " +
         plans::FormatBytes(static_cast<double>(bytes));
}

std::string Header(const plans::Plan& plan) {
  std::string targets;
  for (const auto& t : plan.targets) targets += " " + t;
  return "dry run of plan " + plan.kind + targets + " (inventory " + plan.inventory_fingerprint +
         "): " + std::to_string(plan.steps.size()) + " step" + (plan.steps.size() == 1 ? "" : "s") +
         ", at most " + std::to_string(plan.limits.max_per_host) + " per host and " +
         std::to_string(plan.limits.max_per_link) + " per link; no agent is contacted\n";
}

std::string Summary(const plans::Plan& plan, const DryRun& run) {
  std::string o = "\nsummary\n";
  o += "  makespan     " + plans::FormatDuration(run.makespan) + "\n";
  o += "  transfer     " + plans::FormatBytes(static_cast<double>(run.bytes)) + "\n";
  o += "  waves        " + std::to_string(run.waves) + "\n";
  if (run.downtime.empty()) o += "  downtime     none (no live or cold moves)\n";
  for (const auto& [guest, seconds] : run.downtime) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f s", seconds);
    o += "  downtime     " + Pad(guest, 16) + buf + "\n";
  }
  if (plan.steps.empty()) o += "  nothing to do\n";
  return o;
}

// Hands the plan to the orchestrator and follows the run.
Status Execute(CliContext& ctx, const ApplyArgs& a, const nlohmann::json& doc,
               const plans::Plan& plan) {
  if (!a.force) {
    ASSIGN_OR_RETURN(nlohmann::json inventory, LiveInventory(ctx));
    std::string live = plans::Fingerprint(inventory);
    if (live != plan.inventory_fingerprint) {
      return Aborted(a.plan_file + ": the plan's inventory fingerprint is " +
                     plan.inventory_fingerprint + ", but the live inventory's is now " + live +
                     ": plan again, or apply with --force");
    }
  }
  ASSIGN_OR_RETURN(nlohmann::json started, AskDaemon(ctx, "op.apply", {{"plan", doc}}));
  std::string run = started.value("run", "");
  if (!ctx.json) {
    *ctx.out << "run " << run << ": " << plan.steps.size() << " steps of plan " << plan.kind << " ("
             << a.plan_file << "); `drover status " << run << "` shows it\n";
  }
  if (a.detach) {
    if (ctx.json) *ctx.out << started.dump(2) << "\n";
    return Status::Ok();
  }
  return FollowRun(ctx, run);
}

Status RunApply(CliContext& ctx, const ApplyArgs& a) {
  ASSIGN_OR_RETURN(nlohmann::json doc, plans::ReadJsonFile(a.plan_file));
  auto plan = plans::ParsePlan(doc);
  if (!plan) return plan.error().WithContext(a.plan_file);
  if (!a.dry_run) return Execute(ctx, a, doc, *plan);
  auto run = SimulateApply(*plan);
  if (!run) return run.error().WithContext(a.plan_file);
  *ctx.out << (ctx.json ? DryRunToJson(*plan, *run).dump(2) + "\n" : RenderDryRun(*plan, *run));
  return Status::Ok();
}

}  // namespace

Result<DryRun> SimulateApply(const plans::Plan& plan) {
  ASSIGN_OR_RETURN(plans::Schedule schedule, plans::SimulateSchedule(plan));
  DryRun run;
  run.makespan = schedule.makespan;
  run.waves = schedule.waves;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const plans::Step& s = plan.steps[i];
    run.bytes += s.est_bytes;
    if (s.action != "clone") run.downtime[s.guest] += s.est_downtime_seconds;
    const plans::StepTiming& t = schedule.timing[i];
    run.events.push_back({t.start, true, i, t.wave, 0, 0});
    run.events.push_back({t.end, false, i, t.wave, 0, 0});
  }
  std::stable_sort(run.events.begin(), run.events.end(), [](const auto& x, const auto& y) {
    if (x.time != y.time) return x.time < y.time;
    if (x.start != y.start) return !x.start;  // a step that ends frees its slots first
    return x.step < y.step;
  });
  int done = 0;
  int64_t bytes = 0;
  for (DryRunEvent& e : run.events) {
    if (!e.start) ++done, bytes += plan.steps[e.step].est_bytes;
    e.steps_done = done;
    e.bytes_done = bytes;
  }
  return run;
}

std::string RenderDryRun(const plans::Plan& plan, const DryRun& run) {
  std::string o = Header(plan);
  if (!run.events.empty()) {
    o += "\n" + Pad("time", 10) + Pad("event", 5) + Pad("step", 6) + Pad("action", 8) +
         Pad("guest", 16) + Pad("from -> to", 18) + "progress\n";
  }
  for (const DryRunEvent& e : run.events) {
    const plans::Step& s = plan.steps[e.step];
    o += Pad(plans::FormatDuration(e.time), 10) + Pad(e.start ? "start" : "end", 5) + Pad(s.id, 6) +
         Pad(s.action, 8) + Pad(GuestName(s), 16) + Pad(s.from + " -> " + s.to, 18) +
         Progress(e, plan.steps.size(), run.bytes) + "\n";
  }
  return o + Summary(plan, run);
}

nlohmann::json DryRunToJson(const plans::Plan& plan, const DryRun& run) {
  nlohmann::json events = nlohmann::json::array();
  for (const DryRunEvent& e : run.events) {
    const plans::Step& s = plan.steps[e.step];
    nlohmann::json j = {{"time_seconds", e.time},
                        {"event", e.start ? "start" : "end"},
                        {"step", s.id},
                        {"action", s.action},
                        {"guest", s.guest},
                        {"from", s.from},
                        {"to", s.to},
                        {"wave", e.wave},
                        {"steps_done", e.steps_done},
                        {"steps_total", plan.steps.size()},
                        {"bytes_done", e.bytes_done},
                        {"bytes_total", run.bytes}};
    if (!s.new_name.empty()) j["new_name"] = s.new_name;
    events.push_back(std::move(j));
  }
  return {{"plan",
           {{"kind", plan.kind},
            {"targets", plan.targets},
            {"inventory_fingerprint", plan.inventory_fingerprint},
            {"steps", plan.steps.size()}}},
          {"events", std::move(events)},
          {"summary",
           {{"makespan_seconds", run.makespan},
            {"bytes", run.bytes},
            {"waves", run.waves},
            {"downtime_seconds", run.downtime}}}};
}

void AddApplyCommand(CLI::App& root, CliContext* ctx) {
  auto args = std::make_shared<ApplyArgs>();
  CLI::App* apply = root.add_subcommand(
      "apply",
      "run a plan through the orchestrator and show its progress live (Ctrl-C aborts the "
      "run: steps in flight roll back, finished steps stay)");
  apply->add_option("plan", args->plan_file, "the plan document (drover plan ... -o FILE)")
      ->required();
  apply->add_flag("--dry-run", args->dry_run,
                  "simulate the run on the plan's model and print its timeline; touches no agent");
  apply->add_flag("--force", args->force,
                  "run even when the live inventory no longer matches the plan's fingerprint");
  apply->add_flag("--detach", args->detach, "print the run id and return; do not follow the run");
  apply->callback([&root, ctx, args] {
    Status s = ResolveGlobalOptions(root, ctx);
    if (s.ok()) s = RunApply(*ctx, *args);
    if (!s.ok()) ctx->Fail(s);
  });
}

}  // namespace drover::cli
