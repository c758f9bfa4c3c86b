// Commands that show the live cluster through the daemon: `drover hosts`,
// `drover guests`, `drover inventory export`, `drover ping HOST`.
#pragma once

#include <CLI/CLI.hpp>

#include "orchestrator/cli/cli_context.h"

namespace drover::cli {

void AddClusterCommands(CLI::App& root, CliContext* ctx);

// The live inventory document from the daemon (for `plan` without --inventory).
Result<nlohmann::json> LiveInventory(const CliContext& ctx);

}  // namespace drover::cli
