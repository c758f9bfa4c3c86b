#include "agent/storage/registry.h"

#include "agent/storage/file_driver.h"
#include "agent/storage/lvm_driver.h"

namespace drover::storage {

Result<std::unique_ptr<DriverRegistry>> DriverRegistry::Create(
    const StorageConfig& config, std::unique_ptr<CommandRunner> runner) {
  auto r = std::unique_ptr<DriverRegistry>(new DriverRegistry());
  r->runner_ = runner ? std::move(runner) : std::make_unique<ExecCommandRunner>();
  for (const auto& [name, dir] : config.file_pools) {
    if (dir.empty() || dir[0] != '/') {
      return Err(InvalidArgument("file pool '" + name + "' needs an absolute directory"));
    }
  }
  r->drivers_["file"] = std::make_unique<FileDriver>(config.file_pools,
                                                     FileDriverOptions{config.immutable_snapshots});
  if (config.enable_lvm) r->drivers_["lvm"] = std::make_unique<LvmDriver>(*r->runner_);
  return r;
}

Result<StorageDriver*> DriverRegistry::Get(const std::string& name) const {
  auto it = drivers_.find(name);
  if (it == drivers_.end()) {
    std::string known;
    for (const auto& n : Names()) known += (known.empty() ? "" : ", ") + n;
    return Err(NotFound("no storage driver '" + name + "' (have: " + known + ")"));
  }
  return it->second.get();
}

std::vector<std::string> DriverRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [n, d] : drivers_) names.push_back(n);
  return names;
}

}  // namespace drover::storage
