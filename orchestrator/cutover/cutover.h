// Live migration and clone of a guest with local disks (DESIGN "Cutover"),
// run as an orchestrator job through the AgentClient seam.
//
//   kFullSync ──▶ kPreCopy (round k: sync again while the guest runs)
//                    │ round fits the downtime budget, or round limit
//                    │ (not converging: policy "stop" fails here, guest
//                    ▼  untouched on the source; "proceed" goes on)
//               kMemory: final round's receivers bound on the destination,
//                    │    destination guest prepared (held paused),
//                    │    memory pre-copy until QEMU pauses the source
//                    ▼    (pre-switchover) ── pause window starts
//               kFinalRound: last disk sync, source quiescent; the source
//                    │    reads only what changed since its last verified
//                    ▼    send (change tracking); last chance to abort
//               kContinue: last memory state to the destination
//                    ▼
//               kResume: destination runs ── pause window ends
//                    ▼
//               kRetire: source guest destroyed and undefined; source
//                        volumes kept and recorded retired (never deleted)
//
// Any failure or cancel before kContinue rolls back: cancel the migration,
// resume the guest on the source, destroy the incoming copy and remove the
// destination volumes this job created (also after kContinue, until kResume
// succeeds, as far as the hypervisor allows). The source agent's pause
// watchdog resumes the source on its own if this job dies in the pause.
//
// Progress phases, in order: "full sync", "round", "memory", "final round",
// "cutover" (published before continue_out), "retire" (published only after
// finish_in succeeded). A journaled executor decides roll back or forward
// from them: keep them. A failure after kResume (retiring the source) is
// reported in the result but the guest stays on the destination.
//
// The result: {guest, from, to, rounds: [{round, bytes_sent, bytes_changed,
// seconds, discovery}], converged, downtime_ms (pause window seen by the
// orchestrator), pause: {final_round_ms, continue_ms, finish_ms} (where it
// went), hypervisor_downtime_ms (QEMU's own figure, from its stop to the end
// of the stream), memory_bytes, total_s, retired_volumes}.
// Not resumable across an orchestrator restart yet: the state lives in the
// job thread. Thread-compatible; one call per job thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "orchestrator/daemon/agent_client.h"
#include "orchestrator/daemon/jobs.h"

namespace drover::cutover {

struct MigrateRequest {
  std::string guest, from, to;
  uint64_t downtime_ms = 300;   // budget for the pause window
  int max_rounds = 5;           // pre-copy rounds after the full sync
  std::string policy = "stop";  // not converged: "stop" (report) or "proceed"
};

struct CloneRequest {
  std::string guest, from, to, new_name;
};

// Checks an op.migrate / op.clone body.
Result<MigrateRequest> ParseMigrate(const nlohmann::json& body);
Result<CloneRequest> ParseClone(const nlohmann::json& body);

Result<nlohmann::json> RunMigrate(const MigrateRequest& request, daemon::AgentClient& agents,
                                  daemon::JobContext& job);
Result<nlohmann::json> RunClone(const CloneRequest& request, daemon::AgentClient& agents,
                                daemon::JobContext& job);

// The clone's volume for `volume` of `guest`: the guest name prefix replaced
// by `new_name` ("web-disk" -> "web2-disk"), or "NEW_NAME-VOLUME".
std::string CloneVolumeName(const std::string& volume, const std::string& guest,
                            const std::string& new_name);

}  // namespace drover::cutover
