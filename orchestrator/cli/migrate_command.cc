#include "orchestrator/cli/migrate_command.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include "orchestrator/cli/progress_line.h"
#include "orchestrator/cli/table.h"

namespace drover::cli {
namespace {

std::atomic<bool> g_interrupted{false};
void OnInterrupt(int) { g_interrupted = true; }

struct MigrateArgs {
  std::string guest, to, new_name, policy = "stop";
  int64_t downtime_ms = 300;
  int64_t max_rounds = 5;
};

// The host that runs `guest`, from the daemon's fresh facts.
Result<std::string> HostOf(CliContext& ctx, const std::string& guest) {
  ASSIGN_OR_RETURN(nlohmann::json rows, AskDaemon(ctx, "op.guests", nlohmann::json::object()));
  if (rows.is_object()) rows = rows.value("guests", nlohmann::json::array());
  for (const auto& g : rows) {
    if (g.value("name", "") == guest) return g.value("host", "");
  }
  return Err(NotFound("guest '" + guest + "' is not on any known host"));
}

std::string Describe(const nlohmann::json& p) {
  std::string phase = p.value("phase", "starting");
  if (phase == "round") phase += " " + std::to_string(p.value("round", 0));
  double bytes = p.value("bytes", 0.0), seconds = p.value("seconds", 0.0);
  std::string text = phase + "  " + HumanBytes(bytes);
  if (seconds > 0) text += "  " + HumanBytes(bytes / seconds) + "/s";
  if (p.contains("volume")) text += "  " + p.value("volume", "");
  return text;
}

std::string Summary(const nlohmann::json& r) {
  if (r.contains("downtime_ms")) {
    std::string rounds;
    for (const auto& k : r.value("rounds", nlohmann::json::array())) {
      rounds += (rounds.empty() ? "" : ", ") + HumanBytes(k.value("bytes_sent", 0.0));
    }
    return "migrated " + r.value("guest", "") + " " + r.value("from", "") + " -> " +
           r.value("to", "") + ": downtime " + std::to_string(r.value("downtime_ms", 0)) +
           " ms (hypervisor " + std::to_string(r.value("hypervisor_downtime_ms", 0)) +
           " ms), disk rounds " + rounds + ", memory " + HumanBytes(r.value("memory_bytes", 0.0)) +
           ", " + std::to_string(r.value("total_s", 0.0)).substr(0, 5) +
           " s; source volumes retired";
  }
  return "cloned " + r.value("guest", "") + " as " + r.value("name", "") + " on " +
         r.value("to", "") + " (" + std::to_string(r.value("total_s", 0.0)).substr(0, 5) + " s)";
}

Status Follow(CliContext& ctx, const std::string& type, nlohmann::json request) {
  ASSIGN_OR_RETURN(nlohmann::json started, AskDaemon(ctx, type, request));
  std::string id = started["job"];
  // Ctrl-C (SIGINT, SIGTERM) cancels the job: it rolls back, and we follow it to the end.
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  bool cancel_sent = false;
  ProgressLine progress(*ctx.out, !ctx.json && StdoutIsTerminal());
  if (!ctx.json)
    *ctx.out << type.substr(3) << " " << request["guest"].get<std::string>() << ": job " << id
             << "\n";
  for (;;) {
    ASSIGN_OR_RETURN(nlohmann::json j, AskDaemon(ctx, "op.job", {{"job", id}}));
    std::string state = j.value("state", "");
    if (state != "running") {
      if (ctx.json) *ctx.out << j.dump(2) << "\n";
      if (state == "done") {
        if (!ctx.json) progress.Finish(Summary(j.value("result", nlohmann::json::object())));
        return Status::Ok();
      }
      return Aborted(type.substr(3) + " " + state + ": " + j.value("error", "?"));
    }
    if (g_interrupted && !cancel_sent) {
      auto c = AskDaemon(ctx, "op.job.cancel", {{"job", id}});
      if (!c) return Err(c.error().WithContext("cancelling job " + id));
      cancel_sent = true;
      if (!ctx.json) *ctx.out << "cancelling job " << id << " (the guest stays on its host)\n";
    }
    nlohmann::json p = j.value("progress", nlohmann::json::object());
    if (!ctx.json && p.is_object()) progress.Update(p.value("phase", ""), Describe(p));
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

Status RunMigrate(CliContext& ctx, const MigrateArgs& a) {
  ASSIGN_OR_RETURN(std::string from, HostOf(ctx, a.guest));
  return Follow(ctx, "op.migrate",
                {{"guest", a.guest},
                 {"from", from},
                 {"to", a.to},
                 {"downtime_ms", a.downtime_ms},
                 {"max_rounds", a.max_rounds},
                 {"policy", a.policy}});
}

Status RunClone(CliContext& ctx, const MigrateArgs& a) {
  ASSIGN_OR_RETURN(std::string from, HostOf(ctx, a.guest));
  nlohmann::json request = {{"guest", a.guest}, {"from", from}, {"to", a.to}};
  if (!a.new_name.empty()) request["new_name"] = a.new_name;
  return Follow(ctx, "op.clone", request);
}

}  // namespace

void AddMigrateCommands(CLI::App& root, CliContext* ctx) {
  auto m = std::make_shared<MigrateArgs>();
  CLI::App* migrate = root.add_subcommand(
      "migrate", "move a running guest and its disks to another host (live cutover)");
  migrate->add_option("guest", m->guest, "the guest")->required();
  migrate->add_option("--to", m->to, "destination host")->required();
  migrate->add_option("--downtime-ms", m->downtime_ms, "pause budget")->capture_default_str();
  migrate->add_option("--max-rounds", m->max_rounds, "disk pre-copy rounds at most")
      ->capture_default_str();
  migrate
      ->add_option("--policy", m->policy,
                   "when the disk does not converge: stop (report) or proceed")
      ->capture_default_str();
  migrate->callback([&root, ctx, m] {
    Status s = ResolveGlobalOptions(root, ctx);
    if (s.ok()) s = RunMigrate(*ctx, *m);
    if (!s.ok()) ctx->Fail(s);
  });
  auto c = std::make_shared<MigrateArgs>();
  CLI::App* clone =
      root.add_subcommand("clone", "copy a guest to a host under a new name and MAC and start it");
  clone->add_option("guest", c->guest, "the guest (left untouched)")->required();
  clone->add_option("--to", c->to, "host of the clone")->required();
  clone->add_option("--name", c->new_name, "the clone's name [GUEST-clone]");
  clone->callback([&root, ctx, c] {
    Status s = ResolveGlobalOptions(root, ctx);
    if (s.ok()) s = RunClone(*ctx, *c);
    if (!s.ok()) ctx->Fail(s);
  });
}

}  // namespace drover::cli
