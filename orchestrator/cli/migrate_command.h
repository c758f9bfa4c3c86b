// `drover migrate GUEST --to HOST` and `drover clone GUEST --to HOST
// [--name NEW]`: find the guest's host (op.guests), start the job (op.migrate,
// op.clone), follow it (op.job) with a progress line, print the result with
// the measured downtime. Exit 0 when done, 1 with the reason when it failed.
// SIGINT/SIGTERM cancel the job (op.job.cancel); the CLI follows it until it
// has rolled back.
#pragma once

#include <CLI/CLI.hpp>

#include "orchestrator/cli/cli_context.h"

namespace drover::cli {

void AddMigrateCommands(CLI::App& root, CliContext* ctx);

}  // namespace drover::cli
