// Converts a drover inventory to Ganeti htools' text backend format, so that
// `hbal -t FILE` sees the same cluster: one node group, nodes with total and
// free memory (MiB), disk (MiB) and CPUs, instances with memory, disk, vCPUs
// and their primary node, template `sharedfile` (migratable; hbal cannot
// move `plain` instances), and a cluster policy whose vcpu ratio is drover's
// cpu_overcommit. Offline and drained hosts are marked offline.
#pragma once

#include <string>

#include "plans/model/inventory.h"

namespace drover::plans::bench {

std::string HbalText(const Inventory& inv);

}  // namespace drover::plans::bench
