// `drover volumes`: every volume of every host, what uses it, and which are
// retired copies (left behind by a guest that moved); `drover volumes purge
// HOST [VOLUME...]` removes retired copies whose guest runs elsewhere
// (orchestrator/cutover/purge_retired.h).
#pragma once

#include <CLI/CLI.hpp>

#include "orchestrator/cli/cli_context.h"

namespace drover::cli {

void AddVolumesCommand(CLI::App& root, CliContext* ctx);

}  // namespace drover::cli
