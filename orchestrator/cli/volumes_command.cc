#include "orchestrator/cli/volumes_command.h"

#include <chrono>
#include <map>
#include <thread>

#include "orchestrator/cli/table.h"

namespace drover::cli {
namespace {

using nlohmann::json;

struct PurgeArgs {
  std::string host;
  std::vector<std::string> volumes;
  double older_than_hours = -1;  // < 0: any age
  bool force = false, dry_run = false;
};

std::string Age(int64_t since_s) {
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  int64_t age = std::max<int64_t>(0, now - since_s);
  if (age < 120) return std::to_string(age) + " s ago";
  if (age < 7200) return std::to_string(age / 60) + " min ago";
  if (age < 172800) return std::to_string(age / 3600) + " h ago";
  return std::to_string(age / 86400) + " d ago";
}

// One row per volume of every host, from the daemon's fresh facts.
Status ListVolumes(CliContext& ctx, bool retired_only) {
  ASSIGN_OR_RETURN(json hosts, AskDaemon(ctx, "op.hosts", json::object()));
  json out = json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& h : hosts) {
    std::string host = h.value("name", "?");
    const json facts = h.value("facts", json::object());
    std::map<std::string, std::string> used_by;
    for (const auto& g : facts.value("guests", json::array())) {
      if (!g.is_object()) continue;
      for (const auto& v : g.value("volumes", json::array())) {
        if (v.is_string()) used_by[v.get<std::string>()] = g.value("name", "?");
      }
    }
    for (const auto& v : facts.value("volumes", json::array())) {
      if (!v.is_object()) continue;
      std::string name = v.value("name", "?");
      bool retired = v.value("retired", false);
      if (retired_only && !retired) continue;
      std::string use = "unused";
      if (auto it = used_by.find(name); it != used_by.end()) use = "disk of " + it->second;
      if (retired) {
        use = "retired " + Age(v.value("retired_at", int64_t{0}));
        std::string why = v.value("retired_reason", "");
        if (!why.empty()) use += " (" + why + ")";
      }
      json row = v;
      row["host"] = host;
      row["host_state"] = h.value("state", "?");
      out.push_back(row);
      rows.push_back({host, name, HumanBytes(v.value("size_bytes", 0.0)),
                      HumanBytes(v.value("used_bytes", 0.0)), use});
    }
  }
  if (ctx.json) {
    *ctx.out << out.dump(2) << "\n";
  } else {
    PrintTable(*ctx.out, {"HOST", "VOLUME", "SIZE", "USED", "USE"}, rows);
  }
  return Status::Ok();
}

Status Purge(CliContext& ctx, const PurgeArgs& a) {
  json request = {{"host", a.host}, {"force", a.force}, {"dry_run", a.dry_run}};
  if (!a.volumes.empty()) request["volumes"] = a.volumes;
  if (a.older_than_hours >= 0) {
    request["older_than_s"] = static_cast<int64_t>(a.older_than_hours * 3600);
  }
  ASSIGN_OR_RETURN(json started, AskDaemon(ctx, "op.volumes.purge", request));
  std::string id = started.value("job", "");
  json job;
  for (;;) {
    ASSIGN_OR_RETURN(job, AskDaemon(ctx, "op.job", {{"job", id}}));
    if (job.value("state", "") != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (job.value("state", "") != "done") {
    return Aborted("purge on " + a.host + " " + job.value("state", "?") + ": " +
                   job.value("error", "?"));
  }
  json r = job.value("result", json::object());
  if (ctx.json) {
    *ctx.out << r.dump(2) << "\n";
  } else {
    std::string verb = a.dry_run ? "would purge " : "purged ";
    for (const auto& p : r.value("purged", json::array())) {
      *ctx.out << verb << a.host << ":" << p.value("volume", "?") << " ("
               << HumanBytes(p.value("freed_bytes", 0.0)) << ")";
      if (p.contains("guest_runs_on"))
        *ctx.out << ", its guest runs on " << p["guest_runs_on"].get<std::string>();
      *ctx.out << "\n";
    }
    for (const auto& k : r.value("kept", json::array())) {
      *ctx.out << "kept " << a.host << ":" << k.value("volume", "?") << ": " << k.value("why", "?")
               << "\n";
    }
    *ctx.out << (a.dry_run ? "would free " : "freed ") << HumanBytes(r.value("freed_bytes", 0.0))
             << " on " << a.host << "\n";
  }
  // A volume the operator named and that stayed is a failure to report.
  if (!a.volumes.empty() && !r.value("kept", json::array()).empty()) {
    return Aborted(std::to_string(r["kept"].size()) + " of the named volumes stayed on " + a.host);
  }
  return Status::Ok();
}

}  // namespace

void AddVolumesCommand(CLI::App& root, CliContext* ctx) {
  auto retired_only = std::make_shared<bool>(false);
  CLI::App* volumes = root.add_subcommand(
      "volumes", "every volume on every host, what uses it, and which are retired copies");
  volumes->add_flag("--retired", *retired_only, "only retired copies");
  volumes->require_subcommand(0, 1);
  auto a = std::make_shared<PurgeArgs>();
  CLI::App* purge = volumes->add_subcommand(
      "purge",
      "remove retired copies on HOST (all, or those named) whose guest runs on another online "
      "host");
  purge->add_option("host", a->host, "the host that keeps the copies")->required();
  purge->add_option("volumes", a->volumes, "retired copies to remove [all]");
  purge->add_option("--older-than-hours", a->older_than_hours,
                    "only copies retired at least this long ago");
  purge->add_flag("--force", a->force,
                  "also when the guest runs on no other online host (its last copy may go)");
  purge->add_flag("--dry-run", a->dry_run, "say what would go; remove nothing");
  purge->callback([&root, ctx, a] {
    Status s = ResolveGlobalOptions(root, ctx);
    if (s.ok()) s = Purge(*ctx, *a);
    if (!s.ok()) ctx->Fail(s);
  });
  volumes->callback([&root, ctx, volumes, retired_only] {
    if (!volumes->get_subcommands().empty()) return;  // purge ran
    Status s = ResolveGlobalOptions(root, ctx);
    if (s.ok()) s = ListVolumes(*ctx, *retired_only);
    if (!s.ok()) ctx->Fail(s);
  });
}

}  // namespace drover::cli
