// `drover keys gen|list|accept|revoke`: key pairs and which keys may talk to
// the orchestrator. list/accept/revoke work on the state database directly,
// as an operator on the orchestrator's machine would, so a first operator
// key can be accepted before any CLI can talk to the daemon; the daemon sees
// the change within 100 ms.
#pragma once

#include <CLI/CLI.hpp>

#include "orchestrator/cli/cli_context.h"

namespace drover::cli {

void AddKeysCommand(CLI::App& root, CliContext* ctx);

}  // namespace drover::cli
