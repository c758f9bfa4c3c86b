// Storage drivers picked by name ("file", "lvm"), explicitly: no static
// self-registration. The registry owns the drivers it makes and the command
// runner the LVM driver uses. Not thread-safe to build; Get is const.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "agent/storage/command_runner.h"
#include "agent/storage/storage_driver.h"

namespace drover::storage {

struct StorageConfig {
  std::map<std::string, std::string> file_pools;  // pool name → directory
  bool enable_lvm = false;
  bool immutable_snapshots = false;  // for file pools (file_driver.h)
};

class DriverRegistry {
 public:
  // `runner` may be null: the real ExecCommandRunner is used.
  static Result<std::unique_ptr<DriverRegistry>> Create(const StorageConfig& config,
                                                        std::unique_ptr<CommandRunner> runner = {});
  // NotFound names the drivers that exist.
  Result<StorageDriver*> Get(const std::string& name) const;
  std::vector<std::string> Names() const;

 private:
  std::unique_ptr<CommandRunner> runner_;
  std::map<std::string, std::unique_ptr<StorageDriver>> drivers_;
};

}  // namespace drover::storage
