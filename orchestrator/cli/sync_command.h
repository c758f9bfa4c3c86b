// `drover sync HOST:VOLUME HOST:VOLUME`: one volume sync through the daemon,
// on the same path migrations use (agent to agent, with a one-time ticket),
// with progress until it is verified or fails.
#pragma once

#include <CLI/CLI.hpp>

#include "orchestrator/cli/cli_context.h"

namespace drover::cli {

void AddSyncCommand(CLI::App& root, CliContext* ctx);

// "h1:vm1.img" -> {"h1", "vm1.img"}; InvalidArgument naming the argument otherwise.
Result<std::pair<std::string, std::string>> ParseHostVolume(const std::string& arg);

}  // namespace drover::cli
