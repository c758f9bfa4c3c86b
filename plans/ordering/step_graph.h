// The step DAG of a plan as indices: predecessors and successors per step,
// and a topological order. Shared by the schedule and the estimates.
#pragma once

#include <vector>

#include "common/status.h"
#include "plans/model/plan.h"

namespace drover::plans {

struct StepGraph {
  std::vector<std::vector<int>> preds;
  std::vector<std::vector<int>> succs;
  std::vector<int> order;  // topological
};

// InvalidArgument on an unknown `depends_on` id, a duplicate id, or a cycle.
Result<StepGraph> BuildStepGraph(const Plan& plan);

}  // namespace drover::plans
