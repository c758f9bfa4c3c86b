// Migration types shared by every hypervisor driver.
//
// A live migration with local disks (DESIGN "Cutover", steps 3-5) seen from
// the source, as a resumable state machine whose state lives in the
// hypervisor (QEMU's query-migrate, the Xen handshake), so a restarted agent
// can query it again:
//
//            StartMigrationOut
//   kNone ───────────────────▶ kActive ── memory pre-copy, guest runs
//                                 │ (converged: hypervisor pauses the guest)
//                                 ▼
//                          kPreSwitchover ── source paused, destination holds
//                           │          │      the guest paused: the caller runs
//      ContinueMigrationOut │          │      the final disk round here
//                           ▼          │ AbortMigrationOut (or any failure
//                      kCompleted      │ before kCompleted)
//          (source stopped; the        ▼
//          destination has it,   kCancelled / kFailed ── source runs again
//          paused until Resume)
//
// The pause window (downtime) runs from kPreSwitchover to the destination's
// Resume; MigrationStatus::downtime_ms reports the hypervisor's own figure.
#pragma once

#include <cstdint>
#include <string>

namespace drover::hv {

enum class MigrationPhase {
  kNone,           // no migration (or never started)
  kActive,         // setup and memory pre-copy; the guest runs
  kPreSwitchover,  // the guest is paused on the source, the caller decides
  kCompleting,     // the last state is on its way (after Continue)
  kCompleted,      // the destination holds the whole guest
  kFailed,         // the source runs again (or, see error, state is ambiguous)
  kCancelled,      // aborted by the caller; the source runs again
};

std::string_view PhaseName(MigrationPhase phase);

struct MigrationParams {
  uint64_t max_bandwidth_bytes_per_s = 1ULL << 30;  // memory stream cap
  uint64_t downtime_limit_ms = 300;                 // convergence target for pre-copy
};

// Where the memory stream goes: QEMU a URI ("tcp:127.0.0.1:4444"); Xen an
// already connected stream socket (the caller keeps ownership of `fd`).
struct MigrationTarget {
  std::string uri;
  int fd = -1;
};

// Where an incoming guest listens for the stream.
struct IncomingParams {
  std::string listen_host = "127.0.0.1";
  uint16_t port = 0;  // 0: the driver picks a free port
  int fd = -1;        // Xen: the accepted stream socket (caller keeps ownership)
};

struct MigrationStatus {
  MigrationPhase phase = MigrationPhase::kNone;
  uint64_t transferred_bytes = 0;
  uint64_t remaining_bytes = 0;
  uint64_t total_bytes = 0;
  uint64_t total_ms = 0;     // since the start
  uint64_t downtime_ms = 0;  // valid when kCompleted: the guest's pause as the hypervisor saw it
  bool ambiguous = false;    // Xen: failed after permission to go; check both ends, fence
  std::string error;         // why kFailed
};

}  // namespace drover::hv
