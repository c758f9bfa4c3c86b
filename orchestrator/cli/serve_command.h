// `drover serve`: runs the orchestrator daemon (see daemon/server.h).
// Its config file (--config of serve) takes: listen, key, state,
// heartbeat_ms, heartbeat_timeout_ms, request_timeout_ms, max_message_bytes,
// log_level; flags override it.
#pragma once

#include <CLI/CLI.hpp>

#include "orchestrator/cli/cli_context.h"

namespace drover::cli {

void AddServeCommand(CLI::App& root, CliContext* ctx);

}  // namespace drover::cli
