// RunDir: the directory that is a QEMU guest on this host.
//
// Layout of <root>/<guest name>/ (docs/hypervisor.md):
//   guest.json    the GuestSpec (written atomically; its presence = defined)
//   qemu.pid      pid of the running QEMU (written by QEMU's -pidfile)
//   qmp.sock      QMP control socket (QEMU listens, one client at a time)
//   serial.log    the guest's serial console, appended across boots
//   qemu.log      QEMU's own stderr (start-up errors)
//   incoming.json where an incoming guest listens, while it waits
//
// Functions touch only the filesystem and /proc; thread-compatible. A
// missing file is kNotFound, other I/O errors kIoError.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "agent/hypervisor/guest_spec.h"
#include "common/status.h"

namespace drover::hv {

class RunDir {
 public:
  RunDir(std::string root, std::string name);

  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }
  std::string spec_file() const { return path_ + "/guest.json"; }
  std::string pid_file() const { return path_ + "/qemu.pid"; }
  std::string qmp_socket() const { return path_ + "/qmp.sock"; }
  std::string serial_log() const { return path_ + "/serial.log"; }
  std::string qemu_log() const { return path_ + "/qemu.log"; }
  std::string incoming_file() const { return path_ + "/incoming.json"; }

  bool Defined() const;
  Status Create() const;  // mkdir -p; ok if present
  Status WriteSpec(const GuestSpec& spec) const;
  Result<GuestSpec> ReadSpec() const;
  // Removes the whole directory. Absent: ok.
  Status Remove() const;

  // The pid of a live QEMU serving this directory; -1 when none runs (no pid
  // file, a dead or zombie process, or a pid reused by another program).
  pid_t LivePid() const;

 private:
  std::string root_;
  std::string name_;
  std::string path_;
};

// Names of the guests defined under `root` (directories holding guest.json),
// sorted. A missing root is an empty list.
Result<std::vector<std::string>> ListRunDirs(const std::string& root);

// Writes `data` to `path` through a temporary file and rename.
Status WriteFileAtomic(const std::string& path, const std::string& data);
Result<std::string> ReadFile(const std::string& path);

}  // namespace drover::hv
