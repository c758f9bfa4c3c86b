// XenSender: the source end of one Xen live migration — a thread that drives
// SenderHandshake (xen_handshake.h, which draws the states) with libxl and
// the migration socket, steered by the calls below.
//
// Ownership: owns `fd` (a dup the caller made) and the thread; uses `api`,
// which must outlive it. Destruction aborts a migration that is still before
// permission to go (the source resumes) and joins the thread; after
// permission it waits for the handshake to end. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "agent/hypervisor/migration.h"
#include "agent/hypervisor/xen/xen_control.h"
#include "agent/hypervisor/xen/xen_handshake.h"

namespace drover::hv {

class XenSender {
 public:
  using Millis = std::chrono::milliseconds;

  XenSender(XenControl* api, std::string name, uint32_t domid, int fd, Millis handshake_timeout);
  ~XenSender();
  XenSender(const XenSender&) = delete;
  XenSender& operator=(const XenSender&) = delete;

  SenderState state();
  MigrationStatus Status();
  // Until kPreSwitchover or the end; kTimeout otherwise.
  Result<MigrationStatus> WaitForSwitchover(Millis timeout);
  // From kPreSwitchover: permission to go, then the receiver's report.
  Result<MigrationStatus> Continue(Millis timeout);
  // Before permission to go: close the socket, resume the source.
  ::drover::Status Abort(Millis timeout);

 private:
  using Clock = std::chrono::steady_clock;
  enum class Command { kNone, kContinue, kAbort };

  void Run();
  void Feed(SenderEvent event);
  void Execute(SenderAction action);
  void Fail(const ::drover::Status& s);

  XenControl* const api_;
  const std::string name_;
  const uint32_t domid_;
  const int fd_;
  const Millis timeout_;

  std::mutex mu_;
  std::condition_variable cv_;
  SenderHandshake machine_;           // guarded by mu_
  bool finished_ = false;             // machine done and its actions carried out; guarded by mu_
  Command command_ = Command::kNone;  // guarded by mu_
  std::string error_;                 // guarded by mu_
  Clock::time_point start_, suspended_, end_;  // guarded by mu_
  std::deque<SenderAction> todo_;              // the thread's own
  std::thread thread_;
};

}  // namespace drover::hv
