// Turns the moves recorded in a ClusterState into a plan: one step per move,
// in the order the moves were decided, with these `depends_on` edges:
//   - capacity: the departures that free the room on the destination;
//   - groups: the previous move of a member of the same redundancy group
//     (members never move at the same time);
//   - `after`: the moves of the guests a guest must come after;
//   - extra edges given by the caller (a clone waits for the clone it reads).
// Every edge points to an earlier move, so the step graph is acyclic by
// construction; FinishPlan is then run, and a failure there is a planner bug
// that aborts loudly.
#pragma once

#include <string>
#include <vector>

#include "plans/model/plan.h"
#include "plans/placement/cluster_state.h"

namespace drover::plans {

struct PlanHeader {
  std::string kind;
  std::vector<std::string> targets;
  std::string fingerprint;
  std::vector<std::string> warnings;
};

// `extra_deps[m]` (optional, may be shorter than the moves) lists earlier moves
// move m waits for.
Plan BuildPlan(const ClusterState& state, PlanHeader header,
               const std::vector<std::vector<int>>& extra_deps = {});

}  // namespace drover::plans
