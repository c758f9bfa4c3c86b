// XenReceiver: the destination end of one Xen live migration — a thread that
// drives ReceiverHandshake (xen_handshake.h) with libxl and the socket: send
// the banner, restore the stream paused as NAME--incoming, say ready, wait
// for permission to go, rename and unpause, report.
//
// Ownership: owns `fd` (a dup) and the thread; `api` must outlive it.
// Destruction before permission to go closes the socket (the incoming copy
// is destroyed) and joins the thread. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "agent/hypervisor/migration.h"
#include "agent/hypervisor/xen/xen_control.h"
#include "agent/hypervisor/xen/xen_domain_spec.h"
#include "agent/hypervisor/xen/xen_handshake.h"

namespace drover::hv {

class XenReceiver {
 public:
  using Millis = std::chrono::milliseconds;

  XenReceiver(XenControl* api, XenDomainSpec spec, int fd, Millis handshake_timeout,
              Millis permission_timeout);
  ~XenReceiver();
  XenReceiver(const XenReceiver&) = delete;
  XenReceiver& operator=(const XenReceiver&) = delete;

  ReceiverState state();
  // Until the guest runs here (kCompleted) or the migration failed (kFailed).
  Result<MigrationStatus> Wait(Millis timeout);
  // Before permission to go: close the socket and wait until our copy is
  // destroyed. While unpausing: kInvalidArgument.
  Status Abort();

 private:
  void Run();
  void Feed(ReceiverEvent event);
  void Check(const Status& s, ReceiverEvent ok, ReceiverEvent bad);
  void Execute(ReceiverAction action);

  XenControl* const api_;
  const XenDomainSpec spec_;
  const int fd_;
  const Millis timeout_, permission_timeout_;

  std::mutex mu_;
  std::condition_variable cv_;
  ReceiverHandshake machine_;        // guarded by mu_
  bool finished_ = false;            // machine done, actions carried out; guarded by mu_
  std::string error_;                // guarded by mu_
  uint32_t domid_ = 0;               // the thread's own
  Status unpause_;                   // the thread's own
  std::deque<ReceiverAction> todo_;  // the thread's own
  std::thread thread_;
};

}  // namespace drover::hv
