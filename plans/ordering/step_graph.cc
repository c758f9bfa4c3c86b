#include "plans/ordering/step_graph.h"

#include <unordered_map>

#include "plans/graph/dag.h"

namespace drover::plans {

Result<StepGraph> BuildStepGraph(const Plan& plan) {
  const int n = static_cast<int>(plan.steps.size());
  std::unordered_map<std::string, int> index;
  index.reserve(n);
  for (int i = 0; i < n; ++i) {
    if (!index.emplace(plan.steps[i].id, i).second) {
      return Err(InvalidArgument("step \"" + plan.steps[i].id + "\": duplicate id"));
    }
  }
  StepGraph g;
  g.preds.resize(n);
  g.succs.resize(n);
  std::vector<std::pair<int, int>> edges;
  for (int i = 0; i < n; ++i) {
    for (const std::string& d : plan.steps[i].depends_on) {
      auto it = index.find(d);
      if (it == index.end()) {
        return Err(InvalidArgument("step \"" + plan.steps[i].id + "\".depends_on: unknown step \"" +
                                   d + "\""));
      }
      g.preds[i].push_back(it->second);
      g.succs[it->second].push_back(i);
      edges.emplace_back(it->second, i);
    }
  }
  auto order = TopologicalOrder(n, edges);
  if (!order) return Err(InvalidArgument("plan: the steps' depends_on form a cycle"));
  g.order = std::move(*order);
  return g;
}

}  // namespace drover::plans
