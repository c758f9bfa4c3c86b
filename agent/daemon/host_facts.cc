#include "agent/daemon/host_facts.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace drover::agent {

Result<nlohmann::json> ListDirectoryVolumes(const std::string& path) {
  std::error_code ec;
  nlohmann::json volumes = nlohmann::json::array();
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // our own temporary files
    volumes.push_back({{"name", name}, {"size_bytes", entry.file_size(ec)}});
  }
  if (ec) return Err(IoError("pool " + path + ": " + ec.message()));
  return volumes;
}

Result<nlohmann::json> CollectHostFacts(const FactsSources& sources) {
  long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  nlohmann::json facts = {
      {"cpus", sysconf(_SC_NPROCESSORS_ONLN)},
      {"memory_mib", static_cast<int64_t>(pages) * page_size / (1024 * 1024)},
      {"hypervisor", sources.hypervisor},
      {"nic_mbps", sources.nic_mbps},
      {"guests", nlohmann::json::array()},
      {"volumes", nlohmann::json::array()},
  };
  if (!sources.failure_domain.empty()) facts["failure_domain"] = sources.failure_domain;
  struct statvfs vfs {};
  if (::statvfs(sources.pool_path.c_str(), &vfs) != 0) {
    return Err(ErrnoStatus("pool " + sources.pool_path, errno));
  }
  facts["pool"] = {{"kind", sources.pool_kind},
                   {"path", sources.pool_path},
                   {"size_bytes", static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize},
                   {"free_bytes", static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize}};
  if (sources.volumes) {
    ASSIGN_OR_RETURN(facts["volumes"], sources.volumes());
  }
  if (sources.guests) {
    auto guests = sources.guests();
    if (!guests) return Err(guests.error().WithContext("listing guests"));
    facts["guests"] = std::move(*guests);
  }
  return facts;
}

}  // namespace drover::agent
