#include "agent/daemon/host_facts.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

namespace drover::agent {

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
  if (sources.guests) {
    auto guests = sources.guests();
    if (!guests) return Err(guests.error().WithContext("listing guests"));
    facts["guests"] = std::move(*guests);
  }
  if (sources.volumes) {
    ASSIGN_OR_RETURN(facts["volumes"], sources.volumes(facts["guests"]));
  }
  return facts;
}

}  // namespace drover::agent
