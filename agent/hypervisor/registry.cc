#include "agent/hypervisor/registry.h"

#include "agent/hypervisor/qemu/qemu_hypervisor.h"
#include "agent/hypervisor/xen/xen_hypervisor.h"
#ifdef DROVER_WITH_XEN
#include "agent/hypervisor/xen/libxl_api.h"
#endif

namespace drover::hv {

std::vector<std::string> HypervisorKinds() {
#ifdef DROVER_WITH_XEN
  return {"qemu", "xen"};
#else
  return {"qemu"};
#endif
}

Result<std::unique_ptr<Hypervisor>> OpenHypervisor(const std::string& kind,
                                                   const HypervisorOptions& options) {
  if (kind == "qemu") {
    QemuOptions q;
    q.run_root = options.run_root;
    q.qemu = options.qemu;
    ASSIGN_OR_RETURN(auto hv, QemuHypervisor::Open(std::move(q)));
    return std::unique_ptr<Hypervisor>(std::move(hv));
  }
  if (kind == "xen") {
#ifdef DROVER_WITH_XEN
    ASSIGN_OR_RETURN(auto api, LibxlApi::Open());
    ASSIGN_OR_RETURN(auto hv, XenHypervisor::Open(options.xen, std::move(api)));
    return std::unique_ptr<Hypervisor>(std::move(hv));
#else
    return Err(NotFound("hypervisor xen: not in this build (DROVER_WITH_XEN=OFF)"));
#endif
  }
  return Err(NotFound("hypervisor '" + kind + "': unknown (known: qemu, xen)"));
}

}  // namespace drover::hv
