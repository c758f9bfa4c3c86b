#include "plans/ordering/plan_builder.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "plans/estimate/plan_estimate.h"
#include "plans/estimate/transfer_model.h"

namespace drover::plans {
namespace {

std::string StepId(int m) { return "s" + std::to_string(m + 1); }

std::vector<int> Dependencies(const ClusterState& s, int m, const std::vector<int>& move_of_guest,
                              std::unordered_map<int, int>* last_of_group,
                              const std::vector<std::vector<int>>& extra) {
  const PlacedMove& pm = s.moves()[m];
  const Item& it = s.item(pm.item);
  std::vector<int> deps = pm.capacity_deps;
  if (it.group >= 0) {
    auto [pos, fresh] = last_of_group->emplace(it.group, m);
    if (!fresh) deps.push_back(pos->second), pos->second = m;
  }
  if (!it.is_clone) {
    for (const std::string& a : s.inventory().guests[it.guest].after) {
      int g = s.inventory().GuestIndex(a);
      if (g >= 0 && move_of_guest[g] >= 0) deps.push_back(move_of_guest[g]);
    }
  }
  if (static_cast<size_t>(m) < extra.size())
    deps.insert(deps.end(), extra[m].begin(), extra[m].end());
  std::sort(deps.begin(), deps.end());
  deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
  for (int d : deps) {
    if (d >= m) std::abort();  // edges point backwards by construction
  }
  return deps;
}

void Estimate(const ClusterState& s, const PlacedMove& pm, Step* step,
              std::vector<std::string>* warnings) {
  const Inventory& inv = s.inventory();
  const Guest& g = inv.guests[s.item(pm.item).guest];
  double mbps = s.graph().BandwidthMbps(pm.from, pm.to);
  TransferEstimate e;
  if (step->action == "clone")
    e = EstimateClone(g, mbps);
  else if (step->action == "move")
    e = EstimateCold(g, mbps);
  else
    e = EstimateLive(g, mbps, inv.policy);
  step->est_seconds = e.seconds;
  step->est_bytes = e.bytes;
  step->est_downtime_seconds = e.downtime_seconds;
  step->precopy_rounds = e.rounds;
  step->converges = e.converges;
  if (!e.converges) {
    char buf[256];
    std::snprintf(
        buf, sizeof buf,
        "guest %s dirties %.6g MiB/s, faster than pre-copy converges over %.6g Mbit/s to %s: "
        "the final round carries %.3g s of writes (budget %.6g ms)",
        g.name.c_str(), g.dirty_mib_s, mbps, step->to.c_str(), e.downtime_seconds,
        inv.policy.max_downtime_ms);
    warnings->push_back(buf);
  }
}

}  // namespace

Plan BuildPlan(const ClusterState& s, PlanHeader header,
               const std::vector<std::vector<int>>& extra) {
  const Inventory& inv = s.inventory();
  Plan plan;
  plan.kind = std::move(header.kind);
  plan.targets = std::move(header.targets);
  plan.inventory_fingerprint = std::move(header.fingerprint);
  plan.warnings = std::move(header.warnings);
  plan.limits = {inv.policy.max_migrations_per_host, inv.policy.max_migrations_per_link};
  std::vector<int> move_of_guest(inv.guests.size(), -1);
  std::unordered_map<int, int> last_of_group;
  const auto& moves = s.moves();
  for (int m = 0; m < static_cast<int>(moves.size()); ++m) {
    if (!s.item(moves[m].item).is_clone) move_of_guest[s.item(moves[m].item).guest] = m;
  }
  for (int m = 0; m < static_cast<int>(moves.size()); ++m) {
    const PlacedMove& pm = moves[m];
    const Item& it = s.item(pm.item);
    const Guest& g = inv.guests[it.guest];
    Move mv{g.name,
            inv.hosts[pm.from].name,
            inv.hosts[pm.to].name,
            it.is_clone ? "clone" : (g.running ? "live" : "cold"),
            it.is_clone ? it.name : "",
            pm.reason};
    Step step;
    step.id = StepId(m);
    step.action = it.is_clone ? "clone" : (g.running ? "migrate" : "move");
    step.guest = g.name;
    step.new_name = mv.new_name;
    step.from = mv.from;
    step.to = mv.to;
    step.group = it.group >= 0 ? s.group_name(it.group) : "";
    for (int d : Dependencies(s, m, move_of_guest, &last_of_group, extra))
      step.depends_on.push_back(StepId(d));
    Estimate(s, pm, &step, &plan.warnings);
    plan.moves.push_back(std::move(mv));
    plan.steps.push_back(std::move(step));
  }
  Status st = FinishPlan(&plan);
  if (!st.ok()) {
    std::fprintf(stderr, "drover planner bug: its own plan is broken: %s\n", st.ToString().c_str());
    std::abort();
  }
  return plan;
}

}  // namespace drover::plans
