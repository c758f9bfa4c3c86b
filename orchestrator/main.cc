// drover: the operator's command and the orchestrator daemon (`drover serve`).
// main only wires the sub-commands together; each lives in cli/.
#include <CLI/CLI.hpp>

#include "orchestrator/cli/apply_command.h"
#include "orchestrator/cli/cli_context.h"
#include "orchestrator/cli/cluster_commands.h"
#include "orchestrator/cli/keys_command.h"
#include "orchestrator/cli/migrate_command.h"
#include "orchestrator/cli/runs_command.h"
#include "orchestrator/cli/serve_command.h"
#include "orchestrator/cli/sync_command.h"
#include "orchestrator/cli/volumes_command.h"
#include "plans/cli/plan_command.h"

int main(int argc, char** argv) {
  drover::cli::CliContext ctx;
  CLI::App app{"drover: move and copy live virtual machines between hosts with local disks"};
  app.require_subcommand(1);
  app.fallthrough();
  drover::cli::AddGlobalOptions(app, &ctx);
  drover::cli::AddServeCommand(app, &ctx);
  drover::cli::AddKeysCommand(app, &ctx);
  drover::cli::AddClusterCommands(app, &ctx);
  drover::cli::AddSyncCommand(app, &ctx);
  drover::cli::AddApplyCommand(app, &ctx);
  drover::cli::AddMigrateCommands(app, &ctx);
  drover::cli::AddRunsCommands(app, &ctx);
  drover::cli::AddVolumesCommand(app, &ctx);
  drover::cli::AddPlanCommand(
      app,
      [&app, &ctx]() -> drover::Result<nlohmann::json> {
        // Planning on the live inventory: the config file names the daemon.
        drover::Status s = drover::cli::ResolveGlobalOptions(app, &ctx);
        if (!s.ok()) return drover::Err(s);
        return drover::cli::LiveInventory(ctx);
      },
      std::cout, std::cerr, &ctx.exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;  // bad usage
  }
  return ctx.exit_code;
}
