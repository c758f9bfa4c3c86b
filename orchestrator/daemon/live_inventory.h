// The live inventory: what the agents reported, in the inventory document
// format of DESIGN "Documents" (docs/inventory.md), so that the planner sees
// the same shape whether it reads a file or asks the daemon. Only the fields
// the inventory schema names are written, so that planning on the live
// inventory raises no "unknown field" warnings; `drover hosts` and
// `drover guests` show the rest (pool, hypervisor, volumes).
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "orchestrator/state/inventory_store.h"

namespace drover::daemon {

// Hosts whose name is in `online` are "online", the others "offline".
nlohmann::json BuildInventory(const std::vector<state::HostRecord>& hosts,
                              const std::set<std::string>& online);

}  // namespace drover::daemon
