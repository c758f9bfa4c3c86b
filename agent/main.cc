// drover-agent: one per host. Connects to the orchestrator, reports the host,
// and carries out what the orchestrator asks.
#include <CLI/CLI.hpp>
#include <csignal>
#include <filesystem>

#include "agent/daemon/agent.h"
#include "agent/daemon/agent_config.h"
#include "agent/daemon/guest_service.h"
#include "agent/daemon/transfer_service.h"
#include "agent/hypervisor/registry.h"
#include "agent/storage/registry.h"
#include "agent/sync/malloc_tuning.h"
#include "common/log.h"
#include "common/metrics/metrics_server.h"
#include "common/metrics/registry.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  drover::sync::TuneMallocForFrames();
  using drover::agent::AgentConfig;
  AgentConfig config;
  std::string config_file;
  CLI::App app{"drover-agent: the per-host daemon of drover (docs/agent.md)"};
  app.add_option("-c,--config", config_file, "JSON config file; flags override its keys");
  AgentConfig flags;
  app.add_option("--name", flags.name, "host name reported to the orchestrator [hostname]");
  app.add_option("--orchestrator", flags.orchestrator,
                 "orchestrator control endpoint [tcp://127.0.0.1:7400]");
  app.add_option("--orchestrator-key", flags.orchestrator_key,
                 "the orchestrator's public key: a .pub file or the Z85 key (only it is trusted)");
  app.add_option("--key", flags.key, "this agent's secret key file (drover keys gen)");
  app.add_option("--heartbeat-ms", flags.heartbeat_ms,
                 "heartbeat interval until the orchestrator sets one [1000]");
  app.add_option("--orchestrator-timeout-ms", flags.orchestrator_timeout_ms,
                 "reconnect when the orchestrator is silent this long [5000]");
  app.add_option("--pool-kind", flags.pool_kind, "storage driver of the pool: file or lvm [file]");
  app.add_option("--pool-path", flags.pool_path, "the pool: a directory (file) or a VG (lvm)");
  app.add_flag("--immutable-snapshots", flags.immutable_snapshots,
               "file pools: make every snapshot immutable (FS_IMMUTABLE_FL), which lets the next "
               "sync reuse its recorded extent map instead of calling FIEMAP on it [off]");
  app.add_option("--hypervisor", flags.hypervisor, "hypervisor driver: qemu or xen [qemu]");
  app.add_option("--failure-domain", flags.failure_domain, "failure domain (rack) of this host");
  app.add_option("--nic-mbps", flags.nic_mbps, "network bandwidth of this host [1000]");
  app.add_option("--state-dir", flags.state_dir,
                 "where the agent keeps its own state [/var/lib/drover/agent-NAME]");
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn or error [info]");
  app.add_option("--metrics-address", flags.metrics_address,
                 "HOST:PORT where GET /metrics serves Prometheus text (docs/metrics.md), e.g. "
                 "127.0.0.1:9465; empty: no metrics endpoint [empty]");
  std::string run_root, qemu_accel = "tcg";
  app.add_option("--run-root", run_root,
                 "directory with one run directory per guest [<state-dir>/guests]");
  app.add_option("--qemu-accel", qemu_accel, "QEMU accelerator: tcg or kvm [tcg]");
  CLI11_PARSE(app, argc, argv);

  if (!config_file.empty()) {
    if (drover::Status s = drover::agent::LoadAgentConfig(config_file, &config); !s.ok()) {
      std::fprintf(stderr, "drover-agent: %s\n", s.message().c_str());
      return 2;
    }
  }
  // Flags given on the command line override the file.
  for (auto* opt : app.get_options()) {
    if (opt->count() == 0) continue;
    const std::string n = opt->get_name();
    if (n == "--name") config.name = flags.name;
    if (n == "--orchestrator") config.orchestrator = flags.orchestrator;
    if (n == "--orchestrator-key") config.orchestrator_key = flags.orchestrator_key;
    if (n == "--key") config.key = flags.key;
    if (n == "--heartbeat-ms") config.heartbeat_ms = flags.heartbeat_ms;
    if (n == "--orchestrator-timeout-ms")
      config.orchestrator_timeout_ms = flags.orchestrator_timeout_ms;
    if (n == "--pool-kind") config.pool_kind = flags.pool_kind;
    if (n == "--pool-path") config.pool_path = flags.pool_path;
    if (n == "--immutable-snapshots") config.immutable_snapshots = flags.immutable_snapshots;
    if (n == "--hypervisor") config.hypervisor = flags.hypervisor;
    if (n == "--failure-domain") config.failure_domain = flags.failure_domain;
    if (n == "--nic-mbps") config.nic_mbps = flags.nic_mbps;
    if (n == "--state-dir") config.state_dir = flags.state_dir;
    if (n == "--log-level") config.log_level = flags.log_level;
    if (n == "--metrics-address") config.metrics_address = flags.metrics_address;
  }
  if (drover::Status s = drover::InitLogging("drover-agent", config.log_level); !s.ok()) {
    std::fprintf(stderr, "drover-agent: %s\n", s.message().c_str());
    return 2;
  }
  auto options = drover::agent::ResolveAgentOptions(config);
  if (!options) {
    std::fprintf(stderr, "drover-agent: %s\n", options.error().message().c_str());
    return 2;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  // The storage driver: a "file" pool is a directory, an "lvm" pool a volume group.
  drover::storage::StorageConfig storage_config;
  std::string pool = config.pool_path;
  if (config.pool_kind == "file") {
    pool = "default";
    storage_config.file_pools[pool] = std::filesystem::absolute(config.pool_path).string();
    storage_config.immutable_snapshots = config.immutable_snapshots;
  } else {
    storage_config.enable_lvm = true;
  }
  auto registry = drover::storage::DriverRegistry::Create(storage_config);
  if (!registry) {
    std::fprintf(stderr, "drover-agent: %s\n", registry.error().ToString().c_str());
    return 2;
  }
  auto driver = (*registry)->Get(config.pool_kind);
  if (!driver) {
    std::fprintf(stderr, "drover-agent: pool_kind: %s\n", driver.error().message().c_str());
    return 2;
  }
  auto keys = options->key;
  std::string state_dir = options->state_dir;
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    std::fprintf(stderr, "drover-agent: state_dir %s: %s\n", state_dir.c_str(),
                 ec.message().c_str());
    return 2;
  }
  // The hypervisor driver: guests whose disks are volumes of the pool.
  drover::hv::HypervisorOptions hv_options;
  hv_options.run_root = run_root.empty() ? state_dir + "/guests" : run_root;
  hv_options.qemu.accel = qemu_accel;
  std::filesystem::create_directories(hv_options.run_root, ec);
  auto hypervisor = drover::hv::OpenHypervisor(config.hypervisor, hv_options);
  if (!hypervisor) {
    std::fprintf(stderr, "drover-agent: hypervisor: %s\n", hypervisor.error().ToString().c_str());
    return 2;
  }
  drover::agent::GuestService guests({hypervisor->get(), *driver, pool, state_dir});
  options->facts.guests = [&guests] { return guests.GuestFacts(); };
  options->facts.volumes = [&guests](const nlohmann::json& listed) {
    return guests.VolumeFacts(listed);
  };
  // Declared before the agent, which keeps a pointer; the endpoint stops first.
  drover::metrics::MetricsRegistry metrics;
  std::unique_ptr<drover::metrics::MetricsServer> metrics_server;
  if (!config.metrics_address.empty()) {
    auto started = drover::metrics::MetricsServer::Start({.address = config.metrics_address},
                                                         [&metrics] { return metrics.Render(); });
    if (!started) {
      std::fprintf(stderr, "drover-agent: metrics_address: %s\n",
                   started.error().ToString().c_str());
      return 2;
    }
    metrics_server = std::move(*started);
    spdlog::info("metrics on http://{}/metrics (port {})", config.metrics_address,
                 metrics_server->port());
  }
  options->metrics = &metrics;
  drover::agent::Agent agent(std::move(*options));
  guests.Register(agent);
  drover::agent::TransferService transfers({*driver, pool, keys, "127.0.0.1", state_dir},
                                           [&agent](const std::string& type, nlohmann::json body) {
                                             agent.Post(type, std::move(body));
                                           });
  agent.Handle("agent.sync.receive", [&](const auto& m) { return transfers.Receive(m); });
  agent.Handle("agent.sync.send", [&](const auto& m) { return transfers.Send(m); });
  agent.Handle("agent.sync.cancel", [&](const auto& m) { return transfers.Cancel(m); });
  drover::Status s = agent.Run(g_stop);
  if (!s.ok()) {
    spdlog::error("{}", s.ToString());
    return 1;
  }
  return 0;
}
