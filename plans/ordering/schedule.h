// Deterministic schedule simulation of a plan under its concurrency limits.
//
// Every step occupies one slot on its source and one on its destination host
// (at most limits.max_per_host at once per host) and one slot on the link
// between them (at most limits.max_per_link at once). A step starts when all
// its `depends_on` steps have finished and its slots are free; among ready
// steps the one with the longest remaining path (bottom level) goes first,
// then the lower index. Durations are the steps' est_seconds.
//
// Waves are the review view of the same plan: consecutive batches where every
// step's dependencies sit in earlier waves and each batch holds the limits.
//
// Pure; returns InvalidArgument for unknown `depends_on` ids or a cycle (a
// parsed plan can carry either; the planner's own plans never do).
#pragma once

#include <vector>

#include "common/status.h"
#include "plans/model/plan.h"

namespace drover::plans {

struct Schedule {
  std::vector<StepTiming> timing;  // parallel to plan.steps
  double makespan = 0;
  int waves = 0;
};

Result<Schedule> SimulateSchedule(const Plan& plan);

// "a--b" with a < b: the key of the link between two hosts.
std::string LinkKey(const std::string& a, const std::string& b);

}  // namespace drover::plans
