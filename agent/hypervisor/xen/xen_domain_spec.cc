#include "agent/hypervisor/xen/xen_domain_spec.h"

namespace drover::hv {

std::string IncomingName(const std::string& name) { return name + "--incoming"; }
std::string MigratedAwayName(const std::string& name) { return name + "--migratedaway"; }

Result<XenDomainSpec> ToXenDomainSpec(const GuestSpec& spec, XenGuestType type,
                                      bool (*is_block_device)(const std::string& path)) {
  RETURN_IF_ERROR(Validate(spec));
  if (spec.kernel.empty()) {
    return Err(InvalidArgument("xen: guest " + spec.name + " has no kernel (PV/PVH boot)"));
  }
  if (spec.disks.size() > 26) return Err(InvalidArgument("xen: more than 26 disks"));
  XenDomainSpec x;
  x.name = spec.name;
  x.type = type;
  x.vcpus = spec.vcpus;
  x.memory_kib = spec.memory_mib * 1024;
  x.kernel = spec.kernel;
  x.ramdisk = spec.initrd;
  x.cmdline = spec.cmdline;
  for (size_t i = 0; i < spec.disks.size(); ++i) {
    const DiskSpec& d = spec.disks[i];
    x.disks.push_back({d.path, std::string("xvd") + static_cast<char>('a' + i),
                       is_block_device(d.path), d.read_only, d.format});
  }
  for (size_t i = 0; i < spec.nics.size(); ++i) {
    const NicSpec& n = spec.nics[i];
    x.nics.push_back(
        {n.mac.empty() ? DerivedMac(spec.name + "/" + std::to_string(i), "00:16:3e") : n.mac,
         n.bridge.empty() ? "xenbr0" : n.bridge});
  }
  return x;
}

}  // namespace drover::hv
