// PlanMigrate: one guest to one named host, making room there when needed.
#include "plans/graph/host_graph.h"
#include "plans/ordering/plan_builder.h"
#include "plans/placement/cascade.h"
#include "plans/placement/explain.h"
#include "plans/planners/common.h"
#include "plans/planners/planner.h"

namespace drover::plans {

Result<Plan> PlanMigrate(const LoadedInventory& li, const MigrateRequest& req) {
  const Inventory& inv = li.inventory;
  const int g = inv.GuestIndex(req.guest);
  if (g < 0) return Err(InvalidArgument("migrate: unknown guest \"" + req.guest + "\""));
  const int to = inv.HostIndex(req.to);
  if (to < 0) return Err(InvalidArgument("migrate: unknown host \"" + req.to + "\""));
  const Guest& guest = inv.guests[g];
  const Host& from = inv.hosts[guest.host_index];
  if (guest.host_index == to) {
    return Err(InvalidArgument("migrate: guest \"" + guest.name + "\" is already on " + req.to));
  }
  if (guest.pinned) {
    return Err(Infeasible("cannot place 1 of 1 guest; no plan was made:\n  guest \"" + guest.name +
                          "\" is pinned to " + from.name +
                          "\n    fix: unpin it (\"pinned\": false)"));
  }
  if (from.state == HostState::kOffline) {
    return Err(Infeasible("cannot place 1 of 1 guest; no plan was made:\n  guest \"" + guest.name +
                          "\" is on offline host " + from.name + ": it cannot be read or moved"));
  }
  HostGraph graph(inv);
  ClusterState state(inv, graph, {});
  auto only_to = [to](int h) { return h == to; };
  const std::string reason = "migrate to " + req.to;
  if (state.Check(g, to) == Reject::kOk) {
    state.Commit(g, to, reason);
  } else if (PlaceWithCascade(&state, g, MovableGuests(inv, {}), only_to, reason) < 0) {
    return Err(
        InfeasibleReport({ExplainUnplaceable(state, g, only_to) +
                          "\n    moving other guests out of the way did not make room either"},
                         1));
  }
  return BuildPlan(state, PlanHeader{"migrate", {req.to}, li.fingerprint, li.warnings});
}

}  // namespace drover::plans
