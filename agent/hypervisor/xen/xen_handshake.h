// The `xl migrate` handshake as two explicit state machines, one per end,
// independent of libxl and of sockets: the driver feeds them what happened
// (events) and carries out what they say (actions). Pure, so every path,
// failures included, is unit-tested without Xen.
//
// Sender (source host):
//
//   kAwaitBanner ──banner──▶ kStreaming ──stream done──▶ kAwaitReady
//        │                       │ (libxl_domain_suspend     │ ready ("domain received,
//        │ bad/no banner         │  LIVE: pre-copy, then     │  ready to unpause")
//        ▼                       │  the domain suspended)    ▼
//   kFailed ◀──stream failed──────┘ ◀──no ready──── kPreSwitchover ── source suspended,
//   (source resumed: it never stopped                 │   │   destination holds the
//    or is resumed; the receiver                      │   │   restored domain paused:
//    destroys its copy when the                 Abort │   │   the final disk round
//    connection closes without                        ▼   │ Continue: rename source
//    permission)                              kCancelled  │ NAME--migratedaway, send
//                                          (source resumed)│ permission to go
//                                                          ▼
//        ┌───────────────report rc != 0──────────── kAwaitReport
//        ▼   (receiver could not unpause and           │      │ report unreadable /
//   kFailed   destroyed its copy: rename back,         │      │ connection lost
//             resume the source)               report 0│      ▼
//                                                      ▼   kAmbiguous: NEVER resume
//                                                kCompleted   the source; check both
//                                              (destroy source) ends and fence
//
// Receiver (destination host):
//
//   kSendBanner ──sent──▶ kRestoring ──restored (paused, NAME--incoming)──▶ kSendReady
//        │                    │                                            │ sent
//        ▼ send failed        ▼ restore failed                             ▼
//   kFailed ◀─────────────────┴────────── no permission (EOF, garbage) ── kAwaitPermission
//   (destroy our copy, if any)                                             │ permission
//                                                                          ▼
//                           kFailed ◀── unpause failed ── kUnpausing (rename to NAME, unpause)
//                           (destroy our copy, report rc)       │ unpaused
//                                                               ▼
//                                                         kRunning (report 0; if the report
//                                                         cannot be sent the domain runs
//                                                         anyway: the sender is ambiguous)
//
// Invariant tested for every event sequence: after permission to go, the
// sender never resumes its copy unless the receiver reported that it failed
// (and destroyed its own); so both copies never run at once.
//
// Not thread-safe: one machine per migration, driven by one thread.
#pragma once

#include <string_view>
#include <vector>

#include "common/status.h"

namespace drover::hv {

enum class SenderState {
  kAwaitBanner,
  kStreaming,
  kAwaitReady,
  kPreSwitchover,
  kAwaitReport,
  kCompleted,
  kFailed,
  kCancelled,
  kAmbiguous,
};
enum class SenderEvent {
  kBannerReceived,
  kBannerBad,
  kStreamDone,
  kStreamFailed,
  kReadyReceived,
  kReadyMissing,
  kContinue,
  kAbort,
  kReportOk,
  kReportFailure,
  kReportUnreadable,
};
enum class SenderAction {
  kStartStream,     // libxl_domain_suspend(LIVE) to the socket
  kAwaitReady,      // read "domain received, ready to unpause"
  kRenameAway,      // source → NAME--migratedaway
  kSendPermission,  // "domain is yours, you are cleared to unpause"
  kAwaitReport,     // read the report and its status byte
  kDestroySource,
  kRenameBack,       // NAME--migratedaway → NAME
  kResumeSource,     // libxl_domain_resume(suspend_cancel), if it is suspended
  kCloseConnection,  // the receiver sees EOF and destroys its copy
  kAlertAmbiguous,   // log loudly: check both ends, fence, resume one by hand
};

enum class ReceiverState {
  kSendBanner,
  kRestoring,
  kSendReady,
  kAwaitPermission,
  kUnpausing,
  kRunning,
  kFailed,
};
enum class ReceiverEvent {
  kBannerSent,
  kSendFailed,
  kRestored,
  kRestoreFailed,
  kReadySent,
  kPermission,
  kPermissionMissing,
  kUnpaused,
  kUnpauseFailed,
  kAbort,
};
enum class ReceiverAction {
  kRestorePaused,  // libxl_domain_create_restore as NAME--incoming, paused
  kSendReady,
  kAwaitPermission,
  kRenameToFinal,  // NAME--incoming → NAME
  kUnpause,
  kReportSuccess,  // report + 0
  kReportFailure,  // report + rc
  kDestroyIncoming,
};

std::string_view Name(SenderState s);
std::string_view Name(ReceiverState s);

class SenderHandshake {
 public:
  SenderState state() const { return state_; }
  bool done() const;
  // May the source domain run in this state? (False from permission to go on,
  // unless the receiver reported failure.)
  bool source_may_run() const;
  // The actions for `event`; kInvalidArgument (state unchanged) when the
  // event cannot happen in this state, e.g. Continue before kPreSwitchover or
  // Abort after permission to go.
  Result<std::vector<SenderAction>> Handle(SenderEvent event);

 private:
  SenderState state_ = SenderState::kAwaitBanner;
};

class ReceiverHandshake {
 public:
  ReceiverState state() const { return state_; }
  bool done() const {
    return state_ == ReceiverState::kRunning || state_ == ReceiverState::kFailed;
  }
  // The actions to take before the first event: send the banner.
  Result<std::vector<ReceiverAction>> Handle(ReceiverEvent event);

 private:
  ReceiverState state_ = ReceiverState::kSendBanner;
};

}  // namespace drover::hv
