// The explicit registry of hypervisor drivers, picked by name.
//
// No static self-registration: the agent's main names the driver from its
// configuration ("qemu" or "xen"); a driver left out of the build (the xen
// driver with DROVER_WITH_XEN=OFF) is reported as kNotFound with the reason.
// Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/hypervisor/hypervisor.h"
#include "agent/hypervisor/qemu/qemu_command.h"
#include "agent/hypervisor/xen/xen_hypervisor.h"

namespace drover::hv {

struct HypervisorOptions {
  // qemu: the directory with one run directory per guest.
  std::string run_root;
  QemuConfig qemu;
  // xen: where definitions live, guest type, handshake deadlines.
  XenOptions xen;
};

// Names of the drivers in this build ("qemu", and "xen" when built with Xen).
std::vector<std::string> HypervisorKinds();

// Opens the driver `kind`. kNotFound for an unknown or left-out kind;
// otherwise whatever the driver's Open reports (xen: kUnavailable without a
// running Xen).
Result<std::unique_ptr<Hypervisor>> OpenHypervisor(const std::string& kind,
                                                   const HypervisorOptions& options);

}  // namespace drover::hv
