// GuestSpec: what a guest is made of, independent of the hypervisor.
//
// A driver turns it into a QEMU command line or a libxl domain configuration;
// the qemu driver also keeps it, as JSON, in the guest's run directory so that
// a restarted agent knows its guests again. Plain values: copyable,
// thread-compatible.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace drover::hv {

struct DiskSpec {
  std::string path;            // a file or a block device (LVM volume)
  std::string format = "raw";  // raw (qemu also takes qcow2)
  std::string cache = "none";  // qemu cache mode: none (O_DIRECT), writeback, ...
  bool read_only = false;
};

struct NicSpec {
  std::string mac;     // "52:54:00:12:34:56"; empty = derived from the guest name
  std::string bridge;  // host bridge; empty = no host network (qemu: user, restricted)
};

struct GuestSpec {
  std::string name;  // [A-Za-z0-9_.-]{1,64}, unique on a host
  int vcpus = 1;
  uint64_t memory_mib = 128;
  std::vector<DiskSpec> disks;
  std::vector<NicSpec> nics;
  // Direct kernel boot (the lab guest, Xen PV/PVH); empty kernel = boot from disk.
  std::string kernel;
  std::string initrd;
  std::string cmdline;
};

// Checks names, sizes and paths; InvalidArgument names the field.
Status Validate(const GuestSpec& spec);

// A locally administered unicast MAC derived from `seed` (a guest name):
// stable for one seed, different for different seeds (barring a 24-bit
// collision). `prefix` is the first three octets, e.g. "52:54:00" (QEMU) or
// "00:16:3e" (Xen).
std::string DerivedMac(const std::string& seed, const std::string& prefix);

// The spec of a clone: new name, new MACs (derived from the new name), the
// given disks in place of the original's (same count). The original is not
// touched. InvalidArgument if the disk count differs or the name is invalid.
Result<GuestSpec> CloneSpec(const GuestSpec& original, const std::string& new_name,
                            const std::vector<std::string>& new_disk_paths,
                            const std::string& mac_prefix);

nlohmann::json ToJson(const GuestSpec& spec);
// Strict: unknown types or missing name → InvalidArgument naming the field.
Result<GuestSpec> GuestSpecFromJson(const nlohmann::json& j);

}  // namespace drover::hv
