// XenDomainSpec: a GuestSpec in Xen's terms, before it becomes a
// libxl_domain_config (libxl_api.h does that, the only file that sees libxl).
//
// Pure translation, no I/O; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/hypervisor/guest_spec.h"
#include "common/status.h"

namespace drover::hv {

enum class XenGuestType { kPv, kPvh };

struct XenDisk {
  std::string pdev_path;  // the volume: /dev/vg/lv or a file
  std::string vdev;       // xvda, xvdb, ...
  bool is_block_device;   // backend phy for a block device, qdisk for a file
  bool read_only;
  std::string format;  // raw or qcow2
};

struct XenNic {
  std::string mac;
  std::string bridge;
};

struct XenDomainSpec {
  std::string name;
  XenGuestType type = XenGuestType::kPvh;
  int vcpus = 1;
  uint64_t memory_kib = 0;
  std::string kernel, ramdisk, cmdline;
  std::vector<XenDisk> disks;
  std::vector<XenNic> nics;
};

// The name a domain carries while it is received ("NAME--incoming") and on
// the sender once it has given it away ("NAME--migratedaway"), as xl does.
std::string IncomingName(const std::string& name);
std::string MigratedAwayName(const std::string& name);

// GuestSpec → XenDomainSpec. `is_block_device` tells a volume from a file
// (the caller stats the path). InvalidArgument: no kernel (PV/PVH guests
// boot a kernel) or more than 26 disks.
Result<XenDomainSpec> ToXenDomainSpec(const GuestSpec& spec, XenGuestType type,
                                      bool (*is_block_device)(const std::string& path));

}  // namespace drover::hv
