// `drover apply [--dry-run] PLAN` (DESIGN "Command line", issue 6).
//
// With --dry-run: reads the plan document PLAN, simulates its run on the
// plan's own model (ordering/schedule.h: each step takes its est_seconds,
// within the plan's per-host and per-link limits, after its dependencies)
// and prints the timeline it would follow: one line for each moment a step
// starts or ends, with the step, action, guest, from -> to and the overall
// progress, then a summary (makespan, bytes, expected downtime per guest,
// waves). With the global --json it prints the same as one JSON document
// (see DryRunToJson). It touches no agent, no daemon and no state file.
//
// Without --dry-run it checks that the plan's inventory fingerprint matches
// the live inventory (unless --force), hands the plan to the orchestrator
// (op.apply), which runs and journals it (orchestrator/executor), and
// follows the run live (run_view.h) unless --detach.
//
// Exit status (through CliContext): 0 done; 2 for an unreadable or invalid
// plan, the message naming the file and the step and field at fault; 1 for
// a stale plan or a run that did not finish (naming the failed steps).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "orchestrator/cli/cli_context.h"
#include "plans/model/plan.h"

namespace drover::cli {

void AddApplyCommand(CLI::App& root, CliContext* ctx);

// One moment of a simulated run: a step starting or ending, and where the
// whole run stands right after it.
struct DryRunEvent {
  double time = 0;  // seconds from the start of the run
  bool start = true;
  size_t step = 0;  // index into plan.steps
  int wave = 0;     // the step's wave (1-based)
  int steps_done = 0;
  int64_t bytes_done = 0;  // est_bytes of the finished steps
};

struct DryRun {
  std::vector<DryRunEvent> events;  // by time; at equal times ends before starts, then step order
  double makespan = 0;
  int waves = 0;
  int64_t bytes = 0;
  std::map<std::string, double> downtime;  // per guest, summed over its live and cold moves
};

// Simulates `plan`. Pure; InvalidArgument when the step graph cannot be
// scheduled (an unknown dependency or a cycle).
Result<DryRun> SimulateApply(const plans::Plan& plan);

// The human timeline and summary; the JSON document:
//   {"plan": {"kind", "targets", "inventory_fingerprint", "steps"},
//    "events": [{"time_seconds", "event": "start"|"end", "step", "action", "guest",
//                ["new_name",] "from", "to", "wave", "steps_done", "steps_total",
//                "bytes_done", "bytes_total"}],
//    "summary": {"makespan_seconds", "bytes", "waves", "downtime_seconds": {guest: s}}}
std::string RenderDryRun(const plans::Plan& plan, const DryRun& run);
nlohmann::json DryRunToJson(const plans::Plan& plan, const DryRun& run);

}  // namespace drover::cli
