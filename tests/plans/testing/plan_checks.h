// Independent checks of a finished plan against its inventory, written apart
// from the planner so that tests do not trust the code under test:
//   - the step graph is acyclic and every dependency finishes before its step;
//   - capacity (CPU with overcommit, memory, disk) holds on every host at
//     every moment of the plan's own schedule, a moving guest holding its
//     resources on both hosts from its start until its end;
//   - per-host and per-link concurrency limits hold at every moment and in
//     every wave, and waves come after the waves of their dependencies;
//   - no two members of a redundancy group move at the same time, and moved
//     members do not share a host / failure domain with another member;
//   - pinned guests stay; each guest moves at most once, to an online host;
//   - `after` orders hold; every host in `emptied` ends with no guest.
// Returns one line per violation (empty: the plan is sound).
#pragma once

#include <string>
#include <vector>

#include "plans/model/inventory.h"
#include "plans/model/plan.h"

namespace drover::plans::testing {

std::vector<std::string> CheckPlan(const Inventory& inv, const Plan& plan,
                                   const std::vector<std::string>& emptied);

}  // namespace drover::plans::testing
