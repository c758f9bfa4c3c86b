// `drover runs`, `drover status RUN`, `drover abort RUN`, `drover resume RUN`
// (DESIGN "Command line", "State and recovery"): the operator's view of plan
// runs, which the orchestrator keeps in its journal.
#pragma once

#include <CLI/CLI.hpp>

#include "orchestrator/cli/cli_context.h"

namespace drover::cli {

void AddRunsCommands(CLI::App& root, CliContext* ctx);

}  // namespace drover::cli
