// PlanClone: N copies of a guest with fan-out (a finished clone is a source).
#include <algorithm>

#include "plans/graph/host_graph.h"
#include "plans/ordering/plan_builder.h"
#include "plans/placement/explain.h"
#include "plans/planners/common.h"
#include "plans/planners/planner.h"

namespace drover::plans {
namespace {

// The clone that clone i (1-based) reads in a binomial fan-out: round r makes
// clones 2^(r-1) .. 2^r - 1, each from the copy 2^(r-1) before it; 0 is the
// original. N clones take ceil(log2(N+1)) rounds.
int FanOutSource(int i) {
  int p = 1;
  while (p * 2 <= i) p *= 2;
  return i - p;
}

Status CheckRequest(const Inventory& inv, const CloneRequest& req, int g) {
  if (g < 0) return InvalidArgument("clone: unknown guest \"" + req.guest + "\"");
  if (req.count < 1) return InvalidArgument("clone: --count must be at least 1");
  for (const std::string& t : req.to) {
    if (inv.HostIndex(t) < 0) return InvalidArgument("clone: unknown host \"" + t + "\" in --to");
  }
  return Status::Ok();
}

}  // namespace

Result<Plan> PlanClone(const LoadedInventory& li, const CloneRequest& req) {
  const Inventory& inv = li.inventory;
  const int g = inv.GuestIndex(req.guest);
  RETURN_IF_ERROR(CheckRequest(inv, req, g));
  const int origin = inv.guests[g].host_index;
  if (inv.hosts[origin].state == HostState::kOffline) {
    return Err(Infeasible(
        "cannot place " + std::to_string(req.count) + " clones; no plan was made:\n  guest \"" +
        req.guest + "\" is on offline host " + inv.hosts[origin].name + ": it cannot be read"));
  }
  HostGraph graph(inv);
  ClusterState state(inv, graph, {});
  const std::string prefix = req.name_prefix.empty() ? req.guest + "-clone-" : req.name_prefix;
  std::vector<int> clone_host(req.count + 1, -1), clone_move(req.count + 1, -1);
  clone_host[0] = origin;
  std::vector<char> has_clone(inv.hosts.size(), 0);
  std::vector<std::vector<int>> extra;
  std::vector<std::string> failures;
  for (int i = 1; i <= req.count; ++i) {
    const std::string name = prefix + std::to_string(i);
    if (inv.GuestIndex(name) >= 0)
      return Err(InvalidArgument("clone: a guest named \"" + name + "\" exists"));
    const int item = state.AddClone(g, name);
    int to = -1, src = FanOutSource(i);
    if (clone_host[src] < 0) src = 0;
    if (!req.to.empty()) {
      to = inv.HostIndex(req.to[(i - 1) % req.to.size()]);
      if (clone_host[src] == to) {  // read from the first copy on another host
        src = -1;
        for (int k = 0; k < i && src < 0; ++k) {
          if (clone_host[k] >= 0 && clone_host[k] != to) src = k;
        }
      }
      if (src < 0 || state.Check(item, to, clone_host[src]) != Reject::kOk) {
        failures.push_back(ExplainUnplaceable(
            state, item, [to](int h) { return h == to; }, src < 0 ? origin : clone_host[src]));
        continue;
      }
    } else {
      to = state.FindHost(
          item, [&](int h) { return !has_clone[h] && h != origin; }, clone_host[src]);
      if (to < 0) to = state.FindHost(item, nullptr, clone_host[src]);
      if (to < 0) {
        failures.push_back(ExplainUnplaceable(state, item, nullptr, clone_host[src]));
        continue;
      }
    }
    const int m =
        state.Commit(item, to, "clone " + std::to_string(i) + " of " + req.guest, clone_host[src]);
    extra.resize(m + 1);
    if (src > 0) extra[m].push_back(clone_move[src]);
    clone_host[i] = to;
    clone_move[i] = m;
    has_clone[to] = 1;
  }
  if (!failures.empty()) return Err(InfeasibleReport(failures, req.count));
  return BuildPlan(state, PlanHeader{"clone", {req.guest}, li.fingerprint, li.warnings}, extra);
}

}  // namespace drover::plans
