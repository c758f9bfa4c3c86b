// Small checked questions to agents that the cutover, the executor's steps and their
// recovery share: where a guest is and in what state, which volumes a host
// has. Each names the host and guest in its error.
#pragma once

#include <chrono>
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

// The names of the volumes `host` has now.
Result<std::vector<std::string>> HostVolumes(daemon::AgentClient& agents, const std::string& host);

// AlreadyExists naming the first of `volumes` that `host` already has.
Status RequireAbsent(daemon::AgentClient& agents, const std::string& host,
                     const std::vector<std::string>& volumes);

// Removes those of `volumes` that exist on `host` (never a disk of a
// defined guest: the agent refuses that).
Status RemoveVolumes(daemon::AgentClient& agents, const std::string& host,
                     const std::vector<std::string>& volumes);

}  // namespace drover::cutover
