// Helpers for tests that boot drover's test guest (tools/guest/build-image)
// under QEMU TCG: the image, scratch directories, disks, the serial counter.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/hypervisor/guest_spec.h"
#include "common/status.h"

namespace drover::hv::testing {

// Builds (or finds in the cache) the guest image; the directory holding
// vmlinuz and initrd.img, or why it cannot be had (no archive, no tools).
Result<std::string> GuestImageDir();

// A fresh directory under /tmp (short, for unix socket paths), removed with
// everything in it when the object dies.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Creates a zero-filled (sparse) disk of `mib` MiB.
Status MakeDisk(const std::string& path, uint64_t mib);

// Copies `from` over `to` in place (same inode, as a final sync round writes
// into a volume the destination QEMU already has open).
Status CopyInPlace(const std::string& from, const std::string& to);

// The spec of a test guest: kernel and initrd from `image_dir`, one raw disk.
GuestSpec TestGuestSpec(const std::string& name, const std::string& image_dir,
                        const std::string& disk, uint64_t memory_mib = 128);

// The highest "drover-counter N" on the serial log, if any.
std::optional<uint64_t> LastCounter(const std::string& serial_log);
// The first one.
std::optional<uint64_t> FirstCounter(const std::string& serial_log);

// Waits until the serial log reports a counter >= `at_least`; returns it.
Result<uint64_t> WaitForCounter(const std::string& serial_log, uint64_t at_least,
                                std::chrono::milliseconds timeout);

}  // namespace drover::hv::testing
