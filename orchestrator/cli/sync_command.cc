#include "orchestrator/cli/sync_command.h"

#include <cstdio>
#include <thread>

#include "orchestrator/cli/progress_line.h"
#include "orchestrator/cli/table.h"

namespace drover::cli {
namespace {

struct SyncArgs {
  std::string source, dest;
  double bandwidth_mib_s = 0;
};

std::string Describe(const nlohmann::json& t) {
  double total = t.value("chunks_total", 0.0), done = t.value("chunks_done", 0.0);
  double seconds = std::max(0.001, t.value("seconds", 0.0));
  double sent = t.value("bytes_sent", 0.0);
  char pct[16] = "  -";
  if (total > 0) std::snprintf(pct, sizeof pct, "%3.0f%%", 100.0 * done / total);
  return t.value("transfer", "") + "  " + t.value("phase", "") + "  " + pct + "  " +
         HumanBytes(sent) + " sent  " + HumanBytes(sent / seconds) + "/s  " +
         std::to_string(static_cast<int>(seconds)) + " s";
}

Status RunSync(CliContext& ctx, const SyncArgs& a) {
  ASSIGN_OR_RETURN(auto src, ParseHostVolume(a.source));
  ASSIGN_OR_RETURN(auto dst, ParseHostVolume(a.dest));
  if (a.bandwidth_mib_s < 0) return InvalidArgument("--bandwidth-mib-s must not be negative");
  nlohmann::json request = {{"source_host", src.first},
                            {"source_volume", src.second},
                            {"dest_host", dst.first},
                            {"dest_volume", dst.second}};
  if (a.bandwidth_mib_s > 0) {
    request["bandwidth_bytes_per_s"] = static_cast<int64_t>(a.bandwidth_mib_s * 1024 * 1024);
  }
  ASSIGN_OR_RETURN(nlohmann::json started, AskDaemon(ctx, "op.sync", request));
  std::string id = started["transfer"];
  ProgressLine progress(*ctx.out, !ctx.json && StdoutIsTerminal());
  if (!ctx.json) {
    *ctx.out << "sync " << a.source << " -> " << a.dest << " ("
             << HumanBytes(started.value("volume_bytes", 0.0)) << "), transfer " << id << "\n";
  }
  for (;;) {
    ASSIGN_OR_RETURN(nlohmann::json t, AskDaemon(ctx, "op.transfer", {{"transfer", id}}));
    std::string state = t.value("state", "");
    if (state == "done" || state == "failed") {
      if (ctx.json) {
        *ctx.out << t.dump(2) << "\n";
      } else if (state == "done") {
        nlohmann::json r = t.value("source_report", nlohmann::json::object());
        progress.Finish("done in " + std::to_string(t.value("seconds", 0.0)).substr(0, 5) +
                        " s: " + HumanBytes(r.value("bytes_sent", 0.0)) + " sent for " +
                        HumanBytes(r.value("bytes_changed", 0.0)) + " changed of " +
                        HumanBytes(r.value("volume_bytes", 0.0)) +
                        " (discovery: " + r.value("discovery", "?") + "), content hash " +
                        r.value("content_hash", "?") + " verified");
      }
      if (state == "failed") return Aborted("sync failed: " + t.value("error", "?"));
      return Status::Ok();
    }
    if (!ctx.json) progress.Update(t.value("phase", ""), Describe(t));
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace

Result<std::pair<std::string, std::string>> ParseHostVolume(const std::string& arg) {
  auto colon = arg.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == arg.size()) {
    return Err(InvalidArgument("'" + arg + "' is not HOST:VOLUME"));
  }
  return std::make_pair(arg.substr(0, colon), arg.substr(colon + 1));
}

void AddSyncCommand(CLI::App& root, CliContext* ctx) {
  auto args = std::make_shared<SyncArgs>();
  CLI::App* sync = root.add_subcommand(
      "sync", "bring HOST:VOLUME up to date with another (agent to agent, verified)");
  sync->add_option("source", args->source, "HOST:VOLUME to read (a snapshot of it)")->required();
  sync->add_option("dest", args->dest, "HOST:VOLUME to write (created when missing)")->required();
  sync->add_option("--bandwidth-mib-s", args->bandwidth_mib_s, "cap in MiB/s (0: none)");
  sync->callback([&root, ctx, args] {
    Status s = ResolveGlobalOptions(root, ctx);
    if (s.ok()) s = RunSync(*ctx, *args);
    if (!s.ok()) ctx->Fail(s);
  });
}

}  // namespace drover::cli
