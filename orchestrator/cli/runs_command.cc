#include "orchestrator/cli/runs_command.h"

#include <ctime>
#include <memory>

#include "orchestrator/cli/run_view.h"
#include "orchestrator/cli/table.h"

namespace drover::cli {
namespace {

using nlohmann::json;

std::string When(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
  return buf;
}

Status ListRuns(CliContext& ctx) {
  ASSIGN_OR_RETURN(json r, AskDaemon(ctx, "op.runs", json::object()));
  if (ctx.json) {
    *ctx.out << r.dump(2) << "\n";
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : r.value("runs", json::array())) {
    std::string steps;
    const json by_state = run.value("steps_by_state", json::object());
    for (const auto& [state, n] : by_state.items()) {
      steps += (steps.empty() ? "" : " ") + std::to_string(n.get<int>()) + " " + state;
    }
    rows.push_back({run.value("run", ""), run.value("state", ""),
                    When(run.value("created_at", int64_t{0})),
                    When(run.value("updated_at", int64_t{0})), steps});
  }
  PrintTable(*ctx.out, {"RUN", "STATE", "CREATED", "UPDATED", "STEPS"}, rows);
  return Status::Ok();
}

Status ShowRun(CliContext& ctx, const std::string& run) {
  ASSIGN_OR_RETURN(json r, AskDaemon(ctx, "op.run", {{"run", run}}));
  *ctx.out << (ctx.json ? r.dump(2) + "\n" : RenderRun(r));
  return Status::Ok();
}

Status AbortRun(CliContext& ctx, const std::string& run) {
  ASSIGN_OR_RETURN(json r, AskDaemon(ctx, "op.run.abort", {{"run", run}}));
  if (ctx.json) {
    *ctx.out << r.dump(2) << "\n";
    return Status::Ok();
  }
  *ctx.out << "run " << run << " " << r.value("state", "") << "\n";
  if (r.value("state", "") != "aborting") return Status::Ok();
  // Follow it until the steps in flight have rolled back.
  Status s = FollowRun(ctx, run);
  return s.code() == Code::kAborted ? Status::Ok() : s;
}

Status ResumeRun(CliContext& ctx, const std::string& run, bool detach) {
  ASSIGN_OR_RETURN(json r, AskDaemon(ctx, "op.run.resume", {{"run", run}}));
  if (!ctx.json) *ctx.out << "run " << run << " resumed\n";
  if (detach) return Status::Ok();
  return FollowRun(ctx, run);
}

}  // namespace

void AddRunsCommands(CLI::App& root, CliContext* ctx) {
  auto run_id = std::make_shared<std::string>();
  auto detach = std::make_shared<bool>(false);
  auto add = [&](const char* name, const char* help, auto action, bool takes_run) {
    CLI::App* cmd = root.add_subcommand(name, help);
    if (takes_run) cmd->add_option("run", *run_id, "the run id (drover runs)")->required();
    if (std::string(name) == "resume") {
      cmd->add_flag("--detach", *detach, "return once the run goes on; do not follow it");
    }
    cmd->callback([&root, ctx, run_id, detach, action] {
      Status s = ResolveGlobalOptions(root, ctx);
      if (s.ok()) s = action(*ctx, *run_id, *detach);
      if (!s.ok()) ctx->Fail(s);
    });
  };
  add(
      "runs", "list plan runs, newest first",
      [](CliContext& c, const std::string&, bool) { return ListRuns(c); }, false);
  add(
      "status", "show a run: each step's state, phase, progress and measured downtime",
      [](CliContext& c, const std::string& r, bool) { return ShowRun(c, r); }, true);
  add(
      "abort", "abort a run: steps in flight roll back to their source, finished steps stay",
      [](CliContext& c, const std::string& r, bool) { return AbortRun(c, r); }, true);
  add(
      "resume",
      "go on with an interrupted, failed or aborted run: unfinished steps are first made "
      "safe (finished if their guest already runs on the destination, else undone), then "
      "run; finished steps are not run again",
      [](CliContext& c, const std::string& r, bool d) { return ResumeRun(c, r, d); }, true);
}

}  // namespace drover::cli
