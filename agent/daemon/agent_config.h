// drover-agent's configuration: a JSON file (--config) whose every key is
// documented in `drover-agent --help`, overridden by flags.
#pragma once

#include <string>

#include "agent/daemon/agent.h"
#include "common/status.h"

namespace drover::agent {

struct AgentConfig {
  std::string name;
  std::string orchestrator = "tcp://127.0.0.1:7400";
  std::string orchestrator_key;  // path to a .pub file, or the Z85 key itself
  std::string key;               // path to this agent's .key file
  int heartbeat_ms = 1000;
  int orchestrator_timeout_ms = 5000;
  std::string pool_kind = "file";
  std::string pool_path;
  bool immutable_snapshots = false;  // file pools: snapshots get FS_IMMUTABLE_FL
  std::string hypervisor = "qemu";
  std::string failure_domain;
  int nic_mbps = 1000;
  std::string state_dir;
  std::string log_level = "info";
  std::string metrics_address;  // HOST:PORT of GET /metrics; empty: off
};

// Fills `config` from the file at `path`; fields the file lacks keep their value.
Status LoadAgentConfig(const std::string& path, AgentConfig* config);

// Checks the merged configuration and loads the keys it names.
Result<AgentOptions> ResolveAgentOptions(const AgentConfig& config);

}  // namespace drover::agent
