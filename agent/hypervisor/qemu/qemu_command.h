// The QEMU command line of a guest, built as an argument vector.
//
// Pure function of its inputs (no I/O); thread-safe. Both ends of a
// migration must build the same devices from the same spec, so device ids
// are fixed by position (disk0, net0, ...).
#pragma once

#include <string>
#include <vector>

#include "agent/hypervisor/guest_spec.h"
#include "agent/hypervisor/qemu/run_dir.h"
#include "common/status.h"

namespace drover::hv {

struct QemuConfig {
  std::string binary = "qemu-system-x86_64";
  std::string accel = "tcg";  // "kvm" where it works; these machines need tcg
  std::string machine = "pc";
  std::string cpu;  // empty: QEMU's default model
  std::vector<std::string> extra_args;
};

enum class QemuStartMode {
  kRun,       // boot the guest
  kIncoming,  // -S -incoming defer: held paused until migrate-incoming and cont
};

// The argument vector (argv[0] = config.binary) that starts `spec` as a
// daemon serving `dir`. InvalidArgument for an accelerator or cache mode QEMU
// would not accept, or a socket path too long for a unix socket.
Result<std::vector<std::string>> BuildQemuArgv(const QemuConfig& config, const GuestSpec& spec,
                                               const RunDir& dir, QemuStartMode mode);

}  // namespace drover::hv
