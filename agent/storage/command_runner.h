// Running external tools (lvm2, dmsetup, thin_delta) by argument vector.
//
// Never through a shell: argv[0] is looked up in PATH and every argument is
// passed as is, so a volume name cannot inject anything. CommandRunner is
// the seam the LVM driver is tested through (a fake answers with captured
// lvm2 output); ExecCommandRunner is the real one.
//
// Run returns the exit code and the captured output for any tool that ran,
// whatever its exit code; it fails with NotFound when the tool is not
// installed and with IoError when it cannot be started or waited for.
// ExecCommandRunner is thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace drover::storage {

struct CommandResult {
  int exit_code = 0;
  std::string out;
  std::string err;
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  virtual Result<CommandResult> Run(const std::vector<std::string>& argv) = 0;
};

class ExecCommandRunner : public CommandRunner {
 public:
  Result<CommandResult> Run(const std::vector<std::string>& argv) override;
};

// "lvs --units b" for logs and error messages (arguments quoted when needed).
std::string CommandLine(const std::vector<std::string>& argv);

}  // namespace drover::storage
