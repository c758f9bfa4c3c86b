#include "plans/estimate/plan_estimate.h"

#include <algorithm>

#include "plans/ordering/schedule.h"
#include "plans/ordering/step_graph.h"

namespace drover::plans {
namespace {

void CriticalPath(const Plan& plan, const StepGraph& g, PlanEstimate* e) {
  const size_t n = plan.steps.size();
  std::vector<double> finish(n, 0);
  std::vector<int> via(n, -1);
  int last = -1;
  for (int i : g.order) {
    double start = 0;
    for (int p : g.preds[i]) {
      if (via[i] < 0 || finish[p] > start) start = finish[p], via[i] = p;
    }
    finish[i] = start + plan.steps[i].est_seconds;
    if (last < 0 || finish[i] > finish[last]) last = i;
  }
  e->critical_path.clear();
  e->critical_path_seconds = last < 0 ? 0 : finish[last];
  for (int i = last; i >= 0; i = via[i]) e->critical_path.push_back(plan.steps[i].id);
  std::reverse(e->critical_path.begin(), e->critical_path.end());
}

}  // namespace

Status FinishPlan(Plan* plan) {
  auto schedule = SimulateSchedule(*plan);
  if (!schedule) return schedule.error();
  auto graph = BuildStepGraph(*plan);
  if (!graph) return graph.error();
  plan->timing = std::move(schedule->timing);
  PlanEstimate& e = plan->estimate;
  e = PlanEstimate{};
  e.makespan_seconds = schedule->makespan;
  e.waves = schedule->waves;
  CriticalPath(*plan, *graph, &e);
  for (const Step& s : plan->steps) {
    e.bytes += s.est_bytes;
    e.bytes_per_link[LinkKey(s.from, s.to)] += s.est_bytes;
    if (s.action != "clone") e.downtime_seconds[s.guest] = s.est_downtime_seconds;
  }
  return Status::Ok();
}

}  // namespace drover::plans
