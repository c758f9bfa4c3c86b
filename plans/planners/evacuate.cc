// PlanEvacuate: hardware retirement of hosts or a whole failure domain.
#include <algorithm>

#include "plans/graph/host_graph.h"
#include "plans/ordering/plan_builder.h"
#include "plans/placement/cascade.h"
#include "plans/placement/explain.h"
#include "plans/planners/common.h"
#include "plans/planners/planner.h"

namespace drover::plans {
namespace {

Result<std::vector<int>> ResolveTargets(const Inventory& inv, const EvacuateRequest& req) {
  if (req.hosts.empty() && req.domain.empty()) {
    return Err(
        InvalidArgument("evacuate: name at least one host, or a failure domain with --domain"));
  }
  std::vector<int> out;
  for (const std::string& name : req.hosts) {
    int h = inv.HostIndex(name);
    if (h < 0) return Err(InvalidArgument("evacuate: unknown host \"" + name + "\""));
    if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
  }
  if (!req.domain.empty()) {
    bool any = false;
    for (int h = 0; h < static_cast<int>(inv.hosts.size()); ++h) {
      if (inv.hosts[h].failure_domain != req.domain) continue;
      any = true;
      if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
    }
    if (!any)
      return Err(InvalidArgument("evacuate: no host is in failure domain \"" + req.domain + "\""));
  }
  return out;
}

}  // namespace

Result<Plan> PlanEvacuate(const LoadedInventory& li, const EvacuateRequest& req) {
  const Inventory& inv = li.inventory;
  ASSIGN_OR_RETURN(std::vector<int> targets, ResolveTargets(inv, req));
  std::vector<bool> excluded(inv.hosts.size(), false);
  for (int h : targets) excluded[h] = true;
  HostGraph graph(inv);
  ClusterState state(inv, graph, excluded);
  std::vector<std::string> failures;
  std::vector<int> items;
  size_t total = 0;
  for (int h : targets) {
    const Host& host = inv.hosts[h];
    for (int g : inv.guests_on_host[h]) {
      ++total;
      const Guest& guest = inv.guests[g];
      if (host.state == HostState::kOffline) {
        failures.push_back("guest \"" + guest.name + "\" is on offline host " + host.name +
                           ": it cannot be read or moved\n    fix: bring " + host.name +
                           " online, or leave it out of the evacuation");
      } else if (guest.pinned) {
        failures.push_back("guest \"" + guest.name + "\" is pinned to " + host.name +
                           "\n    fix: unpin it (\"pinned\": false), or leave " + host.name +
                           " out of the evacuation");
      } else {
        items.push_back(g);
      }
    }
  }
  const std::vector<char> movable = MovableGuests(inv, excluded);
  for (int g : PlacementOrder(inv, items)) {
    const std::string reason = "evacuate " + inv.hosts[inv.guests[g].host_index].name;
    int h = state.FindHost(g);
    if (h >= 0) {
      state.Commit(g, h, reason);
      continue;
    }
    if (PlaceWithCascade(&state, g, movable, nullptr, reason) >= 0) continue;
    failures.push_back(ExplainUnplaceable(state, g) +
                       "\n    moving other guests out of the way did not make room either");
  }
  if (!failures.empty()) return Err(InfeasibleReport(failures, total));
  PlanHeader header{"evacuate", {}, li.fingerprint, li.warnings};
  for (int h : targets) header.targets.push_back(inv.hosts[h].name);
  return BuildPlan(state, std::move(header));
}

}  // namespace drover::plans
