// `drover plan evacuate|migrate|clone|rebalance`: the command glue between
// CLI11 and the planner (DESIGN "Command line").
//
//   drover plan evacuate HOST... [--domain D] [--inventory FILE] [--format F] [-o FILE]
//   drover plan migrate GUEST --to HOST [...]
//   drover plan clone GUEST --count N [--to HOST...] [--name-prefix P] [...]
//   drover plan rebalance [--max-moves K] [...]
//
// With --inventory the plan is made offline from FILE; otherwise
// `live_inventory` is asked for the daemon's live inventory document. Output
// (text, json, dot or svg) goes to `out` or to -o FILE; warnings and errors go
// to `err`, each naming what was wrong and where. When a sub-command runs it
// sets *exit_code: 0 done, 2 bad usage or unreadable input, 3 infeasible
// plan, 1 anything else. CLI11 parse errors (a missing positional, an unknown
// flag) are thrown by `root.parse` as usual and belong to the caller.
// `out`, `err` and `exit_code` must outlive `root`.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>

#include "common/status.h"

namespace drover::cli {

void AddPlanCommand(CLI::App& root, std::function<Result<nlohmann::json>()> live_inventory,
                    std::ostream& out, std::ostream& err, int* exit_code);

}  // namespace drover::cli
