// What an agent tells the orchestrator about its host: CPUs, memory, its
// pool with size, free space and volumes, and its guests (the "facts" object
// of the register message and of the agent.facts reply; see docs/wire.md).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace drover::agent {

struct FactsSources {
  std::string pool_kind = "file";
  std::string pool_path;
  std::string hypervisor = "qemu";
  std::string failure_domain;
  int nic_mbps = 1000;
  // Lists the pool's volumes as [{"name", "size_bytes"}]; set by the storage
  // driver. Gets the guests listed just before (their disks are in use), so
  // that the hypervisor is asked once per facts collection.
  std::function<Result<nlohmann::json>(const nlohmann::json& guests)> volumes;
  // Lists guests as [{"name", "state", "vcpus", "memory_mib", "volumes"}];
  // set by the hypervisor driver. Empty when the agent runs none.
  std::function<Result<nlohmann::json>()> guests;
};

// Collects the facts now. A failing source is reported in the Status, naming
// which part (pool, guests) could not be read.
Result<nlohmann::json> CollectHostFacts(const FactsSources& sources);

}  // namespace drover::agent
