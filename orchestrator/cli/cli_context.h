// What every `drover` sub-command shares: where the daemon and the state
// are, which key to use, the output form, and the exit status to return.
//
// Global options come from a JSON config file (--config, or $DROVER_CONFIG)
// and are overridden by flags. Exit status: 0 done; 2 bad usage or
// unreadable input; 3 infeasible plan; 1 anything else that failed.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace drover::cli {

struct CliContext {
  std::string config_file;
  std::string connect = "tcp://127.0.0.1:7400";
  std::string orchestrator_key;  // .pub file or Z85
  std::string key;               // operator .key file
  std::string state = "drover.db";
  int timeout_ms = 10000;
  bool json = false;
  int exit_code = 0;
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;

  // Reports `s` on err as "drover: <message>" and sets the exit code from
  // its kind (2 for bad input, 3 for infeasible, 1 otherwise).
  void Fail(const Status& s);
};

// Adds the global options to `app`.
void AddGlobalOptions(CLI::App& app, CliContext* ctx);

// Loads the config file (if any) into the fields no flag has set. Called by
// every command before it acts.
Status ResolveGlobalOptions(CLI::App& app, CliContext* ctx);

// Sends one operator request to the daemon and returns its reply body.
Result<nlohmann::json> AskDaemon(const CliContext& ctx, const std::string& type,
                                 nlohmann::json body);

}  // namespace drover::cli
