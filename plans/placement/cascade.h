// Cascades: when no host has room for an item, move other guests out of the
// way of one host first, with as few extra moves as possible.
//
// Hosts are tried in complementarity order (at most kMaxCascadeHosts of them
// that could hold the item once emptied enough). A single movable resident big
// enough to free the room wins at once (the smallest such); otherwise the
// fewest residents found greedily, largest contribution first, across the
// hosts tried. A resident is movable when it is not pinned, takes no part in
// an `after` relation and has not moved yet; it goes where FindHost puts it,
// never back to the host it frees nor to an excluded host. On success the
// victims' moves and the item's move are committed (the item's move waits for
// the departures); on failure the state is unchanged.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "plans/placement/cluster_state.h"

namespace drover::plans {

inline constexpr int kMaxCascadeHosts = 64;

// `movable[g]` for inventory guests: may be moved out of the way.
// Returns the item's destination, or -1.
int PlaceWithCascade(ClusterState* state, int item, const std::vector<char>& movable,
                     const std::function<bool(int)>& filter, const std::string& reason);

}  // namespace drover::plans
