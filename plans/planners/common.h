// Helpers shared by the planners: which guests may be moved out of the way,
// the placement order that honours `after`, and the infeasibility report.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "plans/model/inventory.h"

namespace drover::plans {

// Guests that may be moved to make room or to rebalance: not pinned, no part
// in any `after` relation, on an online or drained host not in `excluded`.
std::vector<char> MovableGuests(const Inventory& inv, const std::vector<bool>& excluded);

// `guests` reordered so that every guest comes after the guests it names in
// `after` (when they are in the list); otherwise largest memory, then
// largest disk, then inventory order first.
std::vector<int> PlacementOrder(const Inventory& inv, const std::vector<int>& guests);

// Infeasible("cannot place N of M guests:\n  <explanation>...").
Status InfeasibleReport(const std::vector<std::string>& explanations, size_t total);

}  // namespace drover::plans
