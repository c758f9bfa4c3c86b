// How a plan run looks to an operator: the text of `drover status RUN`,
// and the live view `drover apply` and `drover resume` keep on screen.
//
// FollowRun polls the daemon (op.run) until the run ends. On a terminal it
// redraws one line per step plus an overall line in place; otherwise it
// prints a plain, timestamped line whenever a step changes state or phase,
// so a log of the run reads top to bottom. SIGINT/SIGTERM while following
// abort the run (steps in flight roll back) and it is followed to its end.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "orchestrator/cli/cli_context.h"

namespace drover::cli {

// One line for a step of an op.run reply.
std::string StepLine(const nlohmann::json& step);
// The overall line: state, steps done of total, bytes, elapsed.
std::string RunLine(const nlohmann::json& run);
// The whole status text: the run line, each step line, errors, downtimes.
std::string RenderRun(const nlohmann::json& run);

// Ok when the run ended done; Aborted naming the failed steps otherwise.
Status FollowRun(CliContext& ctx, const std::string& run);

}  // namespace drover::cli
