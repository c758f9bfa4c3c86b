// Plan-wide estimates: the simulated schedule (start, end and wave of every
// step), makespan, the critical path through the dependencies, total bytes,
// bytes on each link and the expected downtime of every moved guest.
//
// FinishPlan fills plan->timing and plan->estimate from the steps. It fails
// only on a broken step graph (unknown ids, a cycle).
#pragma once

#include "common/status.h"
#include "plans/model/plan.h"

namespace drover::plans {

Status FinishPlan(Plan* plan);

}  // namespace drover::plans
