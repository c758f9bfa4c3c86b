// The source agent's guard over a guest paused for a cutover: a guest that
// QEMU paused in pre-switchover waits for the orchestrator's continue_out
// (or abort_out). If the orchestrator dies, or loses the link, in that
// window, nobody would ever resume it. The watchdog does: once the guest has
// been paused for `deadline` without a Disarm, it cancels the outgoing
// migration (the source guest runs again, the destination's incoming copy
// fails and is the orchestrator's to discard) and logs why.
//
//   Arm ──▶ WATCHING (memory pre-copy, guest runs)
//              │ phase pre-switchover
//              ▼
//           PAUSED ── Disarm (continue_out / abort_out) ──▶ DONE
//              │ deadline passed
//              ▼
//           FIRED: AbortMigrationOut; a later Disarm answers Aborted
//
// The watch also ends by itself when the migration ends (completed, failed,
// cancelled) or the guest is gone. Disarm and firing are exclusive: after a
// successful Disarm the watchdog never touches the guest. Thread-safe; one
// watch thread per armed guest, polling the hypervisor every 20 ms; the
// destructor stops the watches without touching any guest.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/hypervisor/hypervisor.h"
#include "common/status.h"

namespace drover::agent {

class PauseWatchdog {
 public:
  explicit PauseWatchdog(hv::Hypervisor* hv) : hv_(hv) {}  // hv not owned
  ~PauseWatchdog();

  // Watches the outgoing migration of `name` (replacing an older watch).
  void Arm(const std::string& name, std::chrono::milliseconds deadline);

  // The caller takes over the paused guest. Aborted when the watchdog has
  // already cancelled this migration (the guest runs on the source again);
  // Ok when it had not (or no watch exists).
  Status Disarm(const std::string& name);

 private:
  struct Watch {
    std::mutex mu;
    bool disarmed = false;  // GUARDED_BY(mu)
    bool fired = false;     // GUARDED_BY(mu)
    std::atomic<bool> stop{false};
    std::atomic<bool> finished{false};
    std::thread thread;
  };
  void Run(const std::string& name, std::chrono::milliseconds deadline, Watch* w);
  static void Stop(Watch& w);

  hv::Hypervisor* hv_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Watch>> watches_;  // GUARDED_BY(mu_)
};

}  // namespace drover::agent
