// Hypervisor: the agent's one seam to a virtualisation stack (QEMU, Xen).
//
// Contract for every driver:
// - Failure: every call returns a Status/Result; kNotFound for an unknown
//   guest, kInvalidArgument for a request that does not fit the guest's state,
//   kUnavailable when the hypervisor does not answer, kTimeout at a deadline.
//   Nothing throws across this interface.
// - Idempotence: Define (same spec), Start, Destroy, Pause, Resume, Undefine
//   of an absent guest and AbortMigration* may be repeated; a repeat reports
//   success without doing the work again. The orchestrator resumes runs by
//   repeating steps, so this is required, not a nicety.
// - Persistence: guests outlive the driver object and the agent process; a
//   new driver finds them again (qemu: run directories; xen: the hypervisor).
// - Thread-safety: all methods may be called from several threads; calls on
//   one guest are serialized inside the driver, calls on different guests run
//   in parallel.
// - Migration: see migration.h for the state diagram. A guest migrates out of
//   one driver and into another of the same kind (on another agent); the
//   agents carry the target between them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/hypervisor/guest_spec.h"
#include "agent/hypervisor/migration.h"
#include "common/status.h"

namespace drover::hv {

enum class GuestState {
  kShutoff,  // defined, not running
  kRunning,
  kPaused,    // paused by request, held at pre-switchover, or incoming and complete
  kIncoming,  // started to receive a migration, state not all there yet
  kMigrated,  // the source copy after a completed migration (stopped, inactive)
  kCrashed,   // the process or domain died on its own, or the guest panicked
  kUnknown,   // running, but the hypervisor does not say how
};

std::string_view StateName(GuestState state);

struct GuestInfo {
  std::string name;
  GuestState state = GuestState::kUnknown;
  int vcpus = 0;
  uint64_t memory_mib = 0;
  std::vector<std::string> disks;  // paths, in device order
  int64_t id = -1;                 // qemu: pid; xen: domid; -1 when not running
};

// Cumulative counters since the guest started; the caller takes differences.
struct GuestStats {
  double cpu_seconds = 0;          // all vCPUs together
  uint64_t memory_bytes = 0;       // assigned to the guest
  uint64_t memory_used_bytes = 0;  // resident on the host (qemu RSS; xen: assigned)
  uint64_t disk_read_bytes = 0;
  uint64_t disk_write_bytes = 0;
  uint64_t disk_read_ops = 0;
  uint64_t disk_write_ops = 0;
};

class Hypervisor {
 public:
  using Millis = std::chrono::milliseconds;
  virtual ~Hypervisor() = default;

  virtual std::string kind() const = 0;  // "qemu", "xen"

  // Guests this driver knows, defined or running, in name order.
  virtual Result<std::vector<GuestInfo>> List() = 0;
  virtual Result<GuestInfo> Get(const std::string& name) = 0;
  virtual Result<GuestSpec> Definition(const std::string& name) = 0;

  // Records a guest. Same spec again: ok; another spec under a defined name:
  // kAlreadyExists (Undefine first).
  virtual Status Define(const GuestSpec& spec) = 0;
  // Forgets a shut-off guest (never its disks). Absent: ok. Running: kInvalidArgument.
  virtual Status Undefine(const std::string& name) = 0;

  // Boots a defined guest. Already running or paused: ok.
  virtual Status Start(const std::string& name) = 0;
  // Asks the guest to power off; after `grace` it is stopped hard. Ok once off.
  virtual Status Stop(const std::string& name, Millis grace) = 0;
  // Stops the guest at once (pull the plug). Already off: ok.
  virtual Status Destroy(const std::string& name) = 0;
  virtual Status Pause(const std::string& name) = 0;
  // Runs a paused guest: a paused one, an incoming one whose migration
  // completed (the destination's step 5), or a migrated-away source whose
  // destination was destroyed (rollback).
  virtual Status Resume(const std::string& name) = 0;

  virtual Result<GuestStats> Stats(const std::string& name) = 0;

  // Defines (does not start) `new_name` as a copy of `original` on the given
  // disks (already synced, one per original disk) with new MACs. The original
  // is untouched. Idempotent like Define.
  virtual Result<GuestSpec> Clone(const std::string& original, const std::string& new_name,
                                  const std::vector<std::string>& new_disk_paths) = 0;

  // --- Source side of a live migration (migration.h). ---
  // Starts pre-copy of memory to `target`. Already migrating: kInvalidArgument.
  virtual Status StartMigrationOut(const std::string& name, const MigrationTarget& target,
                                   const MigrationParams& params) = 0;
  virtual Result<MigrationStatus> QueryMigrationOut(const std::string& name) = 0;
  // Waits until the migration reaches kPreSwitchover or ends (completed,
  // failed, cancelled); kTimeout otherwise, with the migration still going.
  virtual Result<MigrationStatus> WaitForSwitchover(const std::string& name, Millis timeout) = 0;
  // From kPreSwitchover: sends the last state and waits for kCompleted.
  // The source stays stopped (kMigrated).
  virtual Result<MigrationStatus> ContinueMigrationOut(const std::string& name, Millis timeout) = 0;
  // Before kCompleted: cancels and runs the source guest again. No migration
  // (or already cancelled): ok. Completed: kInvalidArgument (the destination
  // owns the guest; destroy it first, then Resume the source).
  virtual Status AbortMigrationOut(const std::string& name, Millis timeout) = 0;

  // --- Destination side. ---
  // Defines `spec` and starts it held paused, waiting for the stream; returns
  // where the source must send it. Repeating while it waits: the same target.
  virtual Result<MigrationTarget> PrepareMigrationIn(const GuestSpec& spec,
                                                     const IncomingParams& params) = 0;
  // Waits until the whole guest arrived (kCompleted; guest paused) or the
  // stream failed (kFailed).
  virtual Result<MigrationStatus> WaitMigrationIn(const std::string& name, Millis timeout) = 0;
  // Destroys the incoming guest and forgets it (never its disks). Absent: ok.
  virtual Status AbortMigrationIn(const std::string& name) = 0;
};

}  // namespace drover::hv
