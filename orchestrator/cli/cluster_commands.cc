#include "orchestrator/cli/cluster_commands.h"

#include "orchestrator/cli/table.h"

namespace drover::cli {
namespace {

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

void PrintHosts(CliContext& ctx, const nlohmann::json& hosts) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& h : hosts) {
    const nlohmann::json f = h.value("facts", nlohmann::json::object());
    nlohmann::json pool = f.value("pool", nlohmann::json::object());
    rows.push_back(
        {Str(h, "name"), Str(h, "state"), Str(f, "cpus"),
         HumanBytes(f.value("memory_mib", 0.0) * 1024 * 1024),
         Str(pool, "kind") + ":" + Str(pool, "path"), HumanBytes(pool.value("size_bytes", 0.0)),
         HumanBytes(pool.value("free_bytes", 0.0)),
         std::to_string(f.value("guests", nlohmann::json::array()).size()),
         std::to_string(f.value("volumes", nlohmann::json::array()).size()), Str(h, "version")});
  }
  PrintTable(
      *ctx.out,
      {"HOST", "STATE", "CPUS", "MEMORY", "POOL", "SIZE", "FREE", "GUESTS", "VOLUMES", "AGENT"},
      rows);
}

void PrintGuests(CliContext& ctx, const nlohmann::json& guests) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& g : guests) {
    std::string volumes;
    for (const auto& v : g.value("volumes", nlohmann::json::array())) {
      volumes += (volumes.empty() ? "" : ",") + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    rows.push_back({Str(g, "name"), Str(g, "host"), Str(g, "state"), Str(g, "vcpus"),
                    HumanBytes(g.value("memory_mib", 0.0) * 1024 * 1024),
                    volumes.empty() ? "-" : volumes});
  }
  PrintTable(*ctx.out, {"GUEST", "HOST", "STATE", "VCPUS", "MEMORY", "VOLUMES"}, rows);
}

// Runs `body` after resolving global options; reports failures.
std::function<void()> Run(CLI::App& root, CliContext* ctx, std::function<Status()> body) {
  return [&root, ctx, body] {
    Status s = ResolveGlobalOptions(root, ctx);
    if (s.ok()) s = body();
    if (!s.ok()) ctx->Fail(s);
  };
}

// Prints `reply` as JSON, or through `table` for the terminal.
Status Show(CliContext* ctx, const std::string& type, nlohmann::json body,
            void (*table)(CliContext&, const nlohmann::json&)) {
  ASSIGN_OR_RETURN(nlohmann::json reply, AskDaemon(*ctx, type, std::move(body)));
  if (ctx->json || table == nullptr)
    *ctx->out << reply.dump(2) << "\n";
  else
    table(*ctx, reply);
  return Status::Ok();
}

void PrintPing(CliContext& ctx, const nlohmann::json& r) {
  *ctx.out << r.value("count", 0) << " round trips to " << r.value("host", "?") << ": p50 "
           << r.value("rtt_us_p50", 0.0) << " us, p99 " << r.value("rtt_us_p99", 0.0) << " us, max "
           << r.value("rtt_us_max", 0.0) << " us\n";
}

}  // namespace

Result<nlohmann::json> LiveInventory(const CliContext& ctx) {
  return AskDaemon(ctx, "op.inventory", nlohmann::json::object());
}

void AddClusterCommands(CLI::App& root, CliContext* ctx) {
  root.add_subcommand("hosts", "the hosts, as their agents report them now")
      ->callback(Run(root, ctx, [ctx] { return Show(ctx, "op.hosts", {}, PrintHosts); }));
  root.add_subcommand("guests", "the guests on every host, live")->callback(Run(root, ctx, [ctx] {
    return Show(ctx, "op.guests", {}, PrintGuests);
  }));

  CLI::App* inventory = root.add_subcommand("inventory", "the cluster as an inventory document");
  inventory->require_subcommand(1);
  inventory->add_subcommand("export", "print the live inventory (docs/inventory.md) as JSON")
      ->callback(Run(root, ctx, [ctx] { return Show(ctx, "op.inventory", {}, nullptr); }));

  root.add_subcommand("stats", "the daemon's counters: agents, heartbeats received and missed")
      ->callback(Run(root, ctx, [ctx] { return Show(ctx, "op.stats", {}, nullptr); }));

  auto host = std::make_shared<std::string>();
  auto count = std::make_shared<int>(10);
  CLI::App* ping = root.add_subcommand("ping", "round trips daemon -> agent -> daemon");
  ping->add_option("host", *host, "the host to ping")->required();
  ping->add_option("-n,--count", *count, "how many round trips")->capture_default_str();
  ping->callback(Run(root, ctx, [ctx, host, count] {
    return Show(ctx, "op.ping", {{"host", *host}, {"count", *count}}, PrintPing);
  }));
}

}  // namespace drover::cli
