#include "orchestrator/cli/serve_command.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>

#include "common/config.h"
#include "common/log.h"
#include "common/metrics/metrics_server.h"
#include "common/metrics/registry.h"
#include "common/wire/keys.h"
#include "orchestrator/cutover/cutover.h"
#include "orchestrator/cutover/purge_retired.h"
#include "orchestrator/daemon/server.h"
#include "orchestrator/executor/executor.h"

namespace drover::cli {
namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

struct ServeArgs {
  std::string config;
  std::string listen = "tcp://127.0.0.1:7400";
  std::string key;
  int heartbeat_ms = 1000;
  int heartbeat_timeout_ms = 4000;
  int request_timeout_ms = 5000;
  int max_message_bytes = 1 << 20;
  std::string log_level = "info";
  std::string metrics_address;         // HOST:PORT of GET /metrics; empty: off
  double retired_retention_hours = 0;  // 0: retired copies stay until purged
};

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Fields of the file fill what no flag set.
Status LoadServeConfig(CLI::App* serve, CliContext* ctx, ServeArgs* a) {
  if (a->config.empty()) return Status::Ok();
  using enum JsonType;
  auto file = LoadConfigFile(a->config, {{"listen", kString},
                                         {"key", kString},
                                         {"state", kString},
                                         {"heartbeat_ms", kInteger},
                                         {"heartbeat_timeout_ms", kInteger},
                                         {"request_timeout_ms", kInteger},
                                         {"max_message_bytes", kInteger},
                                         {"log_level", kString},
                                         {"metrics_address", kString},
                                         {"retired_retention_hours", kNumber}});
  if (!file) return file.error();
  auto unset = [&](const char* flag) { return serve->get_option(flag)->count() == 0; };
  const nlohmann::json& j = *file;
  if (unset("--listen")) a->listen = j.value("listen", a->listen);
  if (unset("--server-key")) a->key = j.value("key", a->key);
  if (serve->get_parent()->get_option("--state")->count() == 0)
    ctx->state = j.value("state", ctx->state);
  if (unset("--heartbeat-ms")) a->heartbeat_ms = j.value("heartbeat_ms", a->heartbeat_ms);
  if (unset("--heartbeat-timeout-ms"))
    a->heartbeat_timeout_ms = j.value("heartbeat_timeout_ms", a->heartbeat_timeout_ms);
  if (unset("--request-timeout-ms"))
    a->request_timeout_ms = j.value("request_timeout_ms", a->request_timeout_ms);
  if (unset("--max-message-bytes"))
    a->max_message_bytes = j.value("max_message_bytes", a->max_message_bytes);
  if (unset("--log-level")) a->log_level = j.value("log_level", a->log_level);
  if (unset("--metrics-address"))
    a->metrics_address = j.value("metrics_address", a->metrics_address);
  if (unset("--retired-retention-hours"))
    a->retired_retention_hours = j.value("retired_retention_hours", a->retired_retention_hours);
  return Status::Ok();
}

Status Serve(CLI::App* serve, CliContext* ctx, ServeArgs* a) {
  RETURN_STATUS_IF_ERROR(LoadServeConfig(serve, ctx, a));
  RETURN_STATUS_IF_ERROR(InitLogging("drover-serve", a->log_level));
  if (a->key.empty()) return InvalidArgument("serve: --server-key (the daemon's .key) is not set");
  if (a->heartbeat_ms < 10 || a->heartbeat_timeout_ms < 2 * a->heartbeat_ms ||
      a->request_timeout_ms < 1 || a->max_message_bytes < 1024 ||
      !(a->retired_retention_hours >= 0)) {
    return InvalidArgument(
        "serve: need heartbeat_ms >= 10, heartbeat_timeout_ms >= 2 x heartbeat_ms, "
        "request_timeout_ms >= 1, max_message_bytes >= 1024, retired_retention_hours >= 0");
  }
  daemon::ServerOptions o;
  o.listen = a->listen;
  auto key = wire::LoadKeyPair(a->key);
  if (!key) return key.error();
  o.key = *key;
  o.heartbeat_interval = std::chrono::milliseconds(a->heartbeat_ms);
  o.heartbeat_timeout = std::chrono::milliseconds(a->heartbeat_timeout_ms);
  o.request_timeout = std::chrono::milliseconds(a->request_timeout_ms);
  o.max_message_bytes = static_cast<size_t>(a->max_message_bytes);
  auto db = state::Database::Open(ctx->state);
  if (!db) return db.error();
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  // Declared before the server and whatever registers series on it, so that
  // it outlives them; the endpoint stops before the registry goes.
  metrics::MetricsRegistry metrics;
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  if (!a->metrics_address.empty()) {
    auto started = metrics::MetricsServer::Start({.address = a->metrics_address},
                                                 [&metrics] { return metrics.Render(); });
    if (!started) return started.error().WithContext("serve: --metrics-address");
    metrics_server = std::move(*started);
    spdlog::info("metrics on http://{}/metrics (port {})", a->metrics_address,
                 metrics_server->port());
  }
  o.metrics = &metrics;
  daemon::Server server(o, db->get());
  server.RegisterJob(
      "op.migrate", "migrate",
      [](const nlohmann::json& body, daemon::AgentClient& agents) -> Result<daemon::JobFn> {
        ASSIGN_OR_RETURN(cutover::MigrateRequest m, cutover::ParseMigrate(body));
        return daemon::JobFn(
            [m, &agents](daemon::JobContext& job) { return cutover::RunMigrate(m, agents, job); });
      });
  server.RegisterJob(
      "op.clone", "clone",
      [](const nlohmann::json& body, daemon::AgentClient& agents) -> Result<daemon::JobFn> {
        ASSIGN_OR_RETURN(cutover::CloneRequest c, cutover::ParseClone(body));
        return daemon::JobFn(
            [c, &agents](daemon::JobContext& job) { return cutover::RunClone(c, agents, job); });
      });
  server.RegisterJob(
      "op.volumes.purge", "purge",
      [](const nlohmann::json& body, daemon::AgentClient& agents) -> Result<daemon::JobFn> {
        ASSIGN_OR_RETURN(cutover::PurgeRequest r, cutover::ParsePurge(body));
        return daemon::JobFn([r, &agents](daemon::JobContext& job) {
          return cutover::RunPurge(r, agents, &job, NowSeconds());
        });
      });
  // Plan runs: their own database connection, journaled before each action.
  auto journal = executor::RunJournal::Open(ctx->state);
  if (!journal) return journal.error();
  executor::Executor runs(journal->get(), &server,
                          &metrics);  // run, step, bytes and downtime series
  RETURN_STATUS_IF_ERROR(runs.Recover());
  server.RegisterHandler("op.apply",
                         [&runs](const nlohmann::json& b) { return runs.Apply(b["plan"]); });
  server.RegisterHandler("op.runs", [&runs](const nlohmann::json&) { return runs.List(); });
  server.RegisterHandler("op.run",
                         [&runs](const nlohmann::json& b) { return runs.Describe(b["run"]); });
  server.RegisterHandler("op.run.abort",
                         [&runs](const nlohmann::json& b) { return runs.Abort(b["run"]); });
  server.RegisterHandler("op.run.resume",
                         [&runs](const nlohmann::json& b) { return runs.Resume(b["run"]); });
  // On SIGTERM the runs stop first, while the loop still carries the
  // rollbacks of their steps in flight; then the loop stops.
  std::atomic<bool> loop_stop{false};
  std::thread stopper([&] {
    while (!g_stop && !loop_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    runs.Shutdown();
    loop_stop = true;
  });
  // The retention sweep, a quarter of the retention apart (1 s to 1 h).
  std::thread sweeper;
  if (a->retired_retention_hours > 0) {
    auto retention_s = static_cast<int64_t>(a->retired_retention_hours * 3600);
    auto every =
        std::chrono::milliseconds(std::clamp<int64_t>(retention_s * 1000 / 4, 1000, 3600 * 1000));
    spdlog::info(
        "retired copies older than {} s go once their guest runs elsewhere (checked "
        "every {} ms)",
        retention_s, every.count());
    sweeper = std::thread([&loop_stop, retention_s, every, &server] {
      auto next = std::chrono::steady_clock::now() + every;
      while (!loop_stop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (std::chrono::steady_clock::now() < next) continue;
        cutover::SweepRetired(server, retention_s, NowSeconds());
        next = std::chrono::steady_clock::now() + every;
      }
    });
  }
  Status s = server.Run(loop_stop);
  loop_stop = true;
  stopper.join();
  if (sweeper.joinable()) sweeper.join();
  // A daemon that cannot start is an environment problem, not bad usage.
  if (!s.ok() && s.code() == Code::kInvalidArgument) return Unavailable(s.message());
  return s;
}

}  // namespace

void AddServeCommand(CLI::App& root, CliContext* ctx) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* serve = root.add_subcommand("serve", "run the orchestrator daemon");
  serve->add_option("-c,--config", args->config,
                    "JSON config file (keys: listen, key, state, heartbeat_ms, "
                    "heartbeat_timeout_ms, request_timeout_ms, max_message_bytes, log_level, "
                    "metrics_address, retired_retention_hours)");
  serve->add_option("--listen", args->listen, "ZeroMQ endpoint to bind")->capture_default_str();
  serve->add_option("--server-key", args->key, "the daemon's secret key file (drover keys gen)");
  serve->add_option("--heartbeat-ms", args->heartbeat_ms, "heartbeat interval told to agents")
      ->capture_default_str();
  serve
      ->add_option("--heartbeat-timeout-ms", args->heartbeat_timeout_ms,
                   "an agent silent this long is unreachable")
      ->capture_default_str();
  serve
      ->add_option("--request-timeout-ms", args->request_timeout_ms,
                   "how long to wait for an agent's answer")
      ->capture_default_str();
  serve
      ->add_option("--max-message-bytes", args->max_message_bytes,
                   "larger messages get an error reply")
      ->capture_default_str();
  serve->add_option("--log-level", args->log_level, "trace, debug, info, warn or error")
      ->capture_default_str();
  serve
      ->add_option("--retired-retention-hours", args->retired_retention_hours,
                   "purge retired copies (volumes a guest left behind when it moved) this many "
                   "hours after their retirement, once their guest runs on another online "
                   "host; 0 (the default): keep them until `drover volumes purge`")
      ->capture_default_str();
  serve->add_option("--metrics-address", args->metrics_address,
                    "HOST:PORT where GET /metrics serves Prometheus text (docs/metrics.md), "
                    "e.g. 127.0.0.1:9464; empty (the default): no metrics endpoint");
  serve->callback([serve, ctx, args] {
    Status s = ResolveGlobalOptions(*serve->get_parent(), ctx);
    if (s.ok()) s = Serve(serve, ctx, args.get());
    if (!s.ok()) ctx->Fail(s);
  });
}

}  // namespace drover::cli
