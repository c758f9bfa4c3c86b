// PlanRebalance: better resource complementarity with few moves.
//
// Objective (lower is better): 1000 x the pairs of guests heavy on the same
// resource sharing a host, plus the sum over hosts and resources of the
// squared real usage. Each round takes the best single move among: every
// movable heavy guest on a host that stacks its resource, to the host the
// complementarity index prefers; and, when nothing is stacked, guests
// dominant on the most used resource of the three busiest hosts. It stops at
// max_moves or when no move improves the objective.
#include <algorithm>

#include "plans/graph/host_graph.h"
#include "plans/ordering/plan_builder.h"
#include "plans/planners/common.h"
#include "plans/planners/planner.h"

namespace drover::plans {
namespace {

constexpr double kStackWeight = 1000;
constexpr double kMinGain = 1e-6;
constexpr size_t kMaxSources = 256;

struct Candidate {
  double delta = 0;
  int guest = -1;
  int to = -1;
};

double Delta(const ClusterState& s, int g, int to) {
  const Inventory& inv = s.inventory();
  const Item& it = s.item(g);
  const int from = s.location(g);
  double d = 0;
  if (it.heavy) d += kStackWeight * (s.heavy(to, it.dominant) - (s.heavy(from, it.dominant) - 1));
  auto cf = UsageOn(inv.guests[g], inv.hosts[from]);
  auto ct = UsageOn(inv.guests[g], inv.hosts[to]);
  for (int r = 0; r < kResources; ++r) {
    double uf = s.usage(from, r), ut = s.usage(to, r);
    d += (uf - cf[r]) * (uf - cf[r]) - uf * uf + (ut + ct[r]) * (ut + ct[r]) - ut * ut;
  }
  return d;
}

void Consider(const ClusterState& s, int g, Candidate* best) {
  int to = s.FindHost(g);
  if (to < 0) return;
  double d = Delta(s, g, to);
  if (d < best->delta - kMinGain) *best = {d, g, to};
}

std::vector<int> StackedHosts(const ClusterState& s) {
  std::vector<std::pair<int, int>> stacked;  // (-pairs, host)
  for (int h = 0; h < static_cast<int>(s.inventory().hosts.size()); ++h) {
    int pairs = 0;
    for (int r = 0; r < kResources; ++r) pairs += s.heavy(h, r) * (s.heavy(h, r) - 1) / 2;
    if (pairs > 0) stacked.push_back({-pairs, h});
  }
  std::sort(stacked.begin(), stacked.end());
  if (stacked.size() > kMaxSources) stacked.resize(kMaxSources);
  std::vector<int> out;
  for (auto [p, h] : stacked) out.push_back(h);
  return out;
}

Candidate BestMove(const ClusterState& s, const std::vector<char>& movable) {
  Candidate best;
  for (int h : StackedHosts(s)) {
    for (int g : s.Residents(h)) {
      const Item& it = s.item(g);
      if (movable[g] && it.heavy && s.heavy(h, it.dominant) >= 2) Consider(s, g, &best);
    }
  }
  if (best.guest >= 0) return best;
  for (int r = 0; r < kResources; ++r) {
    std::vector<std::pair<double, int>> busy;
    for (int h = 0; h < static_cast<int>(s.inventory().hosts.size()); ++h)
      busy.push_back({-s.usage(h, r), h});
    std::partial_sort(busy.begin(), busy.begin() + std::min<size_t>(3, busy.size()), busy.end());
    for (size_t k = 0; k < std::min<size_t>(3, busy.size()); ++k) {
      for (int g : s.Residents(busy[k].second)) {
        if (movable[g] && s.item(g).dominant == r) Consider(s, g, &best);
      }
    }
  }
  return best;
}

}  // namespace

Result<Plan> PlanRebalance(const LoadedInventory& li, const RebalanceRequest& req) {
  if (req.max_moves < 0) return Err(InvalidArgument("rebalance: --max-moves must not be negative"));
  const Inventory& inv = li.inventory;
  HostGraph graph(inv);
  ClusterState state(inv, graph, {});
  const std::vector<char> movable = MovableGuests(inv, {});
  for (int k = 0; k < req.max_moves; ++k) {
    Candidate c = BestMove(state, movable);
    if (c.guest < 0) break;
    const Item& it = state.item(c.guest);
    std::string why = it.heavy && state.heavy(state.location(c.guest), it.dominant) >= 2
                          ? std::string("rebalance: ") + ResourceName(it.dominant) +
                                "-heavy guests stacked on " +
                                inv.hosts[state.location(c.guest)].name
                          : std::string("rebalance: ") + ResourceName(it.dominant) + " usage";
    state.Commit(c.guest, c.to, why);
  }
  return BuildPlan(state, PlanHeader{"rebalance", {}, li.fingerprint, li.warnings});
}

}  // namespace drover::plans
