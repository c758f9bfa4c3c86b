// What one step of a plan does, and how a step that a crash interrupted is
// brought to a safe state before it runs again.
//
// RunStep: "migrate" runs a live migration (cutover::RunMigrate), "move" a
// cold move, "clone" a clone. Each publishes its phases through the
// JobContext before acting, which the executor journals.
//
// RecoverStep reads the step's last journaled phase and asks the agents
// where the guest is, then either finishes the step (the guest already runs
// on the destination: the source copy is retired) or undoes it (the guest
// runs on the source again and the destination copy that this step made is
// discarded), so that running it again is safe. It never removes a volume
// that may hold the only running copy of a guest.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "orchestrator/daemon/agent_client.h"
#include "orchestrator/daemon/jobs.h"
#include "plans/model/plan.h"

namespace drover::executor {

struct StepOptions {
  uint64_t downtime_ms = 300;  // live migration: the pause budget
  int max_rounds = 5;
  std::string policy = "stop";  // a live migration that does not converge
};

Result<nlohmann::json> RunStep(const plans::Step& step, const StepOptions& options,
                               daemon::AgentClient& agents, daemon::JobContext& job);

struct Recovery {
  bool finished = false;  // true: the step is done (result holds what is known)
  nlohmann::json result;  // finished: the step's result; else notes of the undo
};

// `last_phase` is the phase the journal last recorded for the step ("" when
// it never started acting), `phase_detail` what it was recorded with (a cold
// move says there whether its guest was running: one that was off is put
// back off).
Result<Recovery> RecoverStep(const plans::Step& step, const std::string& last_phase,
                             const nlohmann::json& phase_detail, daemon::AgentClient& agents);

}  // namespace drover::executor
