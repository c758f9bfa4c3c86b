// Explanations for items that cannot be placed: which constraint stopped the
// item on how many hosts, the nearest miss, and what would fix it.
// Scans every host once: used only for items that failed, never on the hot path.
#pragma once

#include <functional>
#include <string>

#include "plans/placement/cluster_state.h"

namespace drover::plans {

// A multi-line explanation, starting with `guest "NAME" (...) on HOST:`.
// `filter`, when set, limits the hosts considered (e.g. migrate --to).
std::string ExplainUnplaceable(const ClusterState& state, int item,
                               const std::function<bool(int)>& filter = nullptr, int source = -2);

const char* RejectName(Reject r);

}  // namespace drover::plans
