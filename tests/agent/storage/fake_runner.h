// A scripted CommandRunner for the LVM driver tests: answers each command
// with the first rule whose command line starts with the rule's prefix, and
// records every command it was asked to run.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "agent/storage/command_runner.h"

namespace drover::storage::testing {

class FakeRunner : public CommandRunner {
 public:
  void On(std::string prefix, CommandResult result) {
    rules_.emplace_back(std::move(prefix), Result<CommandResult>(std::move(result)));
  }
  void OnMissing(std::string prefix) {
    rules_.emplace_back(std::move(prefix),
                        Result<CommandResult>(Err(NotFound(prefix + " is not installed"))));
  }
  Result<CommandResult> Run(const std::vector<std::string>& argv) override {
    calls.push_back(argv);
    std::string line = CommandLine(argv);
    for (const auto& [prefix, result] : rules_) {
      if (line.rfind(prefix, 0) == 0) return result;
    }
    return CommandResult{5, "", "fake: no rule for " + line};
  }
  std::vector<std::string> Lines() const {
    std::vector<std::string> out;
    for (const auto& c : calls) out.push_back(CommandLine(c));
    return out;
  }
  std::vector<std::vector<std::string>> calls;

 private:
  std::vector<std::pair<std::string, Result<CommandResult>>> rules_;
};

}  // namespace drover::storage::testing
