// A cold move (DESIGN "Cutover", last paragraph): the guest is stopped on
// its host, its volumes are synced to the destination, it is defined and
// started there, and the source definition goes while the source volumes
// stay, retired. Until the guest runs on the destination any failure starts
// it again on the source and discards the destination copy.
//
// Phases published through the JobContext, each before its action:
// "stop", "sync", "define", "start", "retire".
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "orchestrator/daemon/agent_client.h"
#include "orchestrator/daemon/jobs.h"

namespace drover::executor {

struct ColdMoveRequest {
  std::string guest, from, to;
};

// Result: {guest, from, to, downtime_ms, bytes_sent, retired_volumes, total_s}.
Result<nlohmann::json> RunColdMove(const ColdMoveRequest& m, daemon::AgentClient& agents,
                                   daemon::JobContext& job);

}  // namespace drover::executor
