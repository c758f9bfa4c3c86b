// Removing retired copies (DESIGN "Cutover" step 6: source volumes are kept,
// marked retired, until an operator cleans up or the retention expires).
//
// A retired copy is removed only while the guest that used it runs on
// another online host, as every online agent reports it now: when a guest's
// new host has died, its retired copy may be the last one left, and it
// stays. `force` skips that check (for copies whose record names no guest,
// or a guest deleted on purpose); the agent's own checks always hold: it
// removes only a volume it retired and no guest of its host uses.
// `dry_run` reports what would go and removes nothing.
//
// Runs as an orchestrator job (op.volumes.purge) or from the retention
// sweep of `drover serve --retired-retention-hours`.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "orchestrator/daemon/agent_client.h"
#include "orchestrator/daemon/jobs.h"

namespace drover::cutover {

struct PurgeRequest {
  std::string host;
  std::vector<std::string> volumes;     // empty: every retired copy on `host`
  std::optional<int64_t> older_than_s;  // only copies retired at least this long ago
  bool force = false;
  bool dry_run = false;
};

// Guest name -> the online hosts that run it now (fresh facts from each).
using RunningGuests = std::map<std::string, std::vector<std::string>>;
Result<RunningGuests> FindRunningGuests(daemon::AgentClient& agents);

// From op.volumes.purge {host, volumes?, older_than_s?, force?, dry_run?}.
Result<PurgeRequest> ParsePurge(const nlohmann::json& body);

// {host, dry_run, purged: [{volume, freed_bytes}], kept: [{volume, why}],
//  freed_bytes}. A volume named in the request that is not a retired copy
// there is kept, with the reason. `now_s` is the current Unix time;
// `running` (may be null: asked when needed) what every host runs now.
Result<nlohmann::json> RunPurge(const PurgeRequest& request, daemon::AgentClient& agents,
                                daemon::JobContext* job, int64_t now_s,
                                const RunningGuests* running = nullptr);

// The retention sweep: on every online host, purges the retired copies
// older than `retention_s` whose guest runs elsewhere (never forced), and
// logs what went. Returns how many copies went.
int SweepRetired(daemon::AgentClient& agents, int64_t retention_s, int64_t now_s);

}  // namespace drover::cutover
