// The plan model: a dependency-ordered DAG of steps computed from an
// inventory (docs/plan.md). A Plan is a plain value; the planner makes it,
// ParsePlan (plan_json.h) reads it back, and the schedule simulation
// (ordering/schedule.h) times it under its own concurrency limits.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace drover::plans {

inline constexpr int kPlanVersion = 1;

// One guest that changes host (or is copied) in the plan.
struct Move {
  std::string guest;
  std::string from;
  std::string to;
  std::string mode;      // "live", "cold" or "clone"
  std::string new_name;  // clones only
  std::string reason;    // "evacuate", "make room for db1 on h3", "rebalance", ...
};

// One action on one or two hosts. `depends_on` lists step ids that must
// finish before this one starts.
struct Step {
  std::string id;
  std::string action;  // "migrate" (live), "move" (cold), "clone"
  std::string guest;
  std::string new_name;  // clones only
  std::string from;
  std::string to;
  std::vector<std::string> depends_on;
  double est_seconds = 0;
  int64_t est_bytes = 0;
  double est_downtime_seconds = 0;
  int precopy_rounds = 0;
  bool converges = true;
  std::string group;  // redundancy group of the guest, for review
};

struct PlanLimits {
  int max_per_host = 2;
  int max_per_link = 1;
};

struct PlanEstimate {
  double makespan_seconds = 0;
  int64_t bytes = 0;
  double critical_path_seconds = 0;
  std::vector<std::string> critical_path;          // step ids, first to last
  std::map<std::string, int64_t> bytes_per_link;   // "a--b" with a < b
  std::map<std::string, double> downtime_seconds;  // per guest (live and cold moves)
  int waves = 0;
};

struct StepTiming {
  double start = 0;
  double end = 0;
  int wave = 0;  // 1-based
};

struct Plan {
  int version = kPlanVersion;
  std::string kind;  // evacuate, migrate, clone, rebalance
  std::vector<std::string> targets;
  std::string inventory_fingerprint;
  PlanLimits limits;
  std::vector<Move> moves;
  std::vector<Step> steps;
  PlanEstimate estimate;
  std::vector<StepTiming> timing;  // parallel to steps; filled by FinishPlan
  std::vector<std::string> warnings;
};

}  // namespace drover::plans
