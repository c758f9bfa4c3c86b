// Small checked questions to agents that the cutover, the executor's steps and their
// recovery share: where a guest is and in what state, which volumes a host
// has. Each names the host and guest in its error.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "orchestrator/daemon/agent_client.h"

namespace drover::cutover {

inline constexpr std::chrono::milliseconds kAgentCallTimeout{10000};

struct GuestOnHost {
  nlohmann::json spec;
  std::string state;                 // hypervisor state name ("running", "paused", ...)
  std::vector<std::string> volumes;  // disk volume names
};

// The guest on `host`; std::nullopt when the host answers that it has no
// such guest; an error when the host cannot be asked.
Result<std::optional<GuestOnHost>> FindGuest(daemon::AgentClient& agents, const std::string& host,
                                             const std::string& guest);

struct VolumeOnHost {
  std::string name;
  bool retired = false;  // a kept copy of a guest that moved away; no guest here uses it
  uint64_t used_bytes = 0;
  // For a retired copy: when (Unix seconds), and the guest that used it
  // (empty when the record names none).
  int64_t retired_at = 0;
  std::string retired_guest;
};

// The volumes `host` has now.
Result<std::vector<VolumeOnHost>> HostVolumes(daemon::AgentClient& agents, const std::string& host);

// Checks that `volumes` may be written on `host`: each is absent, or a
// retired copy there (a guest coming back to a host that kept its old disk:
// the sync updates that copy in place and sends only what differs). Returns
// the retired ones; AlreadyExists naming the first volume `host` has and
// does not hold retired (a disk of some guest there, or a volume drover did
// not retire).
Result<std::vector<std::string>> RequireAbsentOrRetired(daemon::AgentClient& agents,
                                                        const std::string& host,
                                                        const std::vector<std::string>& volumes);

// Removes those of `volumes` that exist on `host` (never a disk of a
// defined guest: the agent refuses that).
Status RemoveVolumes(daemon::AgentClient& agents, const std::string& host,
                     const std::vector<std::string>& volumes);

}  // namespace drover::cutover
