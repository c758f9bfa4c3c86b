// The plan document (docs/plan.md): writing a Plan and reading one back.
//
// ParsePlan accepts what PlanToJson writes, and any document of the DESIGN
// schema: it checks the version, the kind, unique step ids, known
// `depends_on` ids, non-negative estimates and an acyclic step graph, and
// reports the first problem as InvalidArgument naming the step and field.
// Fields it does not know are kept nowhere and ignored. Never throws.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "plans/model/plan.h"

namespace drover::plans {

nlohmann::json PlanToJson(const Plan& plan);
Result<Plan> ParsePlan(const nlohmann::json& doc);

}  // namespace drover::plans
