// The final disk round of a live migration, split so that the pause window
// holds as little as possible (DESIGN "Cutover" step 4).
//
//   PrepareFinalRound (guest runs) ── a ticket per volume; the destination
//        │                            binds its receiver (agent.sync.receive,
//        │                            events off, accept timeout beyond the
//        ▼                            memory migration)
//   RunFinalRound (guest paused) ──── the source snapshots, asks its driver
//        │                            what changed since its last verified
//        │                            send and sends only that; followed
//        ▼                            through agent.sync.send's own wait
//      done / failed ── CancelFinalRound stops both ends (idempotent)
//
// No transfer events and no polling interval inside the pause: these
// transfers are not in the orchestrator's transfer table, so their events
// are off and the reply of agent.sync.send (wait_ms) carries the outcome.
// Blocking, through the AgentClient seam; thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "orchestrator/cutover/round.h"
#include "orchestrator/daemon/agent_client.h"
#include "orchestrator/daemon/jobs.h"

namespace drover::cutover {

struct FinalSend {
  std::string volume, transfer, ticket, endpoint, server_key;
  // The agent.sync.send body for it, waiting up to `wait_ms` for the end.
  nlohmann::json Body(int64_t wait_ms) const;
};

// Binds one receiver per volume on `to` for a send from `from`; `bound`
// gets each as soon as it is bound, so that a failure halfway can cancel
// those. `sizes` are the volumes' sizes (from the full sync).
Status PrepareFinalRound(daemon::AgentClient& agents, const std::string& from,
                         const std::string& to, const std::vector<std::string>& volumes,
                         const std::vector<uint64_t>& sizes,
                         std::chrono::milliseconds accept_timeout, std::vector<FinalSend>& bound);

// Starts every send on `from` and waits for all; Aborted when one fails or
// the job is cancelled, Timeout after 10 s (inside the source agent's pause
// watchdog).
Result<Round> RunFinalRound(daemon::AgentClient& agents, daemon::JobContext& job,
                            const std::string& from, const std::vector<FinalSend>& sends);

// Cancels the sends and receives on both ends; errors are ignored (the
// caller is rolling back).
void CancelFinalRound(daemon::AgentClient& agents, const std::string& from, const std::string& to,
                      const std::vector<FinalSend>& sends);

}  // namespace drover::cutover
