// The four kinds of plan (DESIGN "Planner", "Command line").
//
// Each takes a loaded (validated, fingerprinted) inventory and a request and
// returns a finished Plan: steps with dependencies, estimates, the simulated
// schedule and the inventory's fingerprint and warnings. Pure and
// deterministic: the same inventory and request give the same plan.
// Errors: InvalidArgument for requests naming unknown hosts or guests or
// asking nonsense (count 0); Infeasible, with one explanation per guest that
// could not be placed, when no plan honours every constraint (never a
// partial plan).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "plans/model/inventory_json.h"
#include "plans/model/plan.h"

namespace drover::plans {

// Empties `hosts` and every host of failure domain `domain` (either or both).
struct EvacuateRequest {
  std::vector<std::string> hosts;
  std::string domain;
};
Result<Plan> PlanEvacuate(const LoadedInventory& inv, const EvacuateRequest& req);

// Moves one guest to one host, moving others out of the way when needed.
struct MigrateRequest {
  std::string guest;
  std::string to;
};
Result<Plan> PlanMigrate(const LoadedInventory& inv, const MigrateRequest& req);

// Makes `count` copies named `<guest>-clone-<i>` (or `<name_prefix><i>`), on
// the `to` hosts in turn when given, else on distinct hosts chosen by the
// complementarity rule. A finished clone is the source of later ones, so N
// clones take about log2(N+1) rounds of one copy.
struct CloneRequest {
  std::string guest;
  int count = 1;
  std::vector<std::string> to;
  std::string name_prefix;
};
Result<Plan> PlanClone(const LoadedInventory& inv, const CloneRequest& req);

// Improves resource complementarity (fewer guests heavy on the same resource
// per host, then more even usage) with at most `max_moves` moves, each the
// best single improving move found.
struct RebalanceRequest {
  int max_moves = 50;
};
Result<Plan> PlanRebalance(const LoadedInventory& inv, const RebalanceRequest& req);

}  // namespace drover::plans
