#include "agent/hypervisor/xen/xen_handshake.h"

namespace drover::hv {
namespace {

using SA = SenderAction;
using RA = ReceiverAction;

Status Refuse(std::string_view machine, std::string_view state, int event) {
  return InvalidArgument("xen " + std::string(machine) + " handshake: event " +
                         std::to_string(event) + " not allowed in state " + std::string(state));
}

}  // namespace

std::string_view Name(SenderState s) {
  static constexpr std::string_view kNames[] = {"await-banner",   "streaming",    "await-ready",
                                                "pre-switchover", "await-report", "completed",
                                                "failed",         "cancelled",    "ambiguous"};
  return kNames[static_cast<int>(s)];
}

std::string_view Name(ReceiverState s) {
  static constexpr std::string_view kNames[] = {
      "send-banner", "restoring", "send-ready", "await-permission",
      "unpausing",   "running",   "failed"};
  return kNames[static_cast<int>(s)];
}

bool SenderHandshake::done() const {
  return state_ == SenderState::kCompleted || state_ == SenderState::kFailed ||
         state_ == SenderState::kCancelled || state_ == SenderState::kAmbiguous;
}

bool SenderHandshake::source_may_run() const {
  return state_ != SenderState::kAwaitReport && state_ != SenderState::kCompleted &&
         state_ != SenderState::kAmbiguous;
}

Result<std::vector<SenderAction>> SenderHandshake::Handle(SenderEvent event) {
  using S = SenderState;
  using E = SenderEvent;
  auto go = [this](S next, std::vector<SA> actions) {
    state_ = next;
    return actions;
  };
  // Abort is allowed wherever the source still owns the guest.
  if (event == E::kAbort) {
    switch (state_) {
      case S::kAwaitBanner:
        return go(S::kCancelled, {SA::kCloseConnection});
      case S::kStreaming:  // the domain may be suspended by now: resume it
      case S::kAwaitReady:
      case S::kPreSwitchover:
        return go(S::kCancelled, {SA::kCloseConnection, SA::kResumeSource});
      default:
        return Err(Refuse("sender", Name(state_), static_cast<int>(event)));
    }
  }
  switch (state_) {
    case S::kAwaitBanner:
      if (event == E::kBannerReceived) return go(S::kStreaming, {SA::kStartStream});
      if (event == E::kBannerBad) return go(S::kFailed, {SA::kCloseConnection});
      break;
    case S::kStreaming:
      if (event == E::kStreamDone) return go(S::kAwaitReady, {SA::kAwaitReady});
      // The stream broke: the domain may be suspended already; resume it.
      if (event == E::kStreamFailed) {
        return go(S::kFailed, {SA::kCloseConnection, SA::kResumeSource});
      }
      break;
    case S::kAwaitReady:
      if (event == E::kReadyReceived) return go(S::kPreSwitchover, {});
      if (event == E::kReadyMissing) {
        return go(S::kFailed, {SA::kCloseConnection, SA::kResumeSource});
      }
      break;
    case S::kPreSwitchover:
      if (event == E::kContinue) {
        return go(S::kAwaitReport, {SA::kRenameAway, SA::kSendPermission, SA::kAwaitReport});
      }
      break;
    case S::kAwaitReport:
      if (event == E::kReportOk) return go(S::kCompleted, {SA::kDestroySource});
      if (event == E::kReportFailure) {
        return go(S::kFailed, {SA::kRenameBack, SA::kResumeSource});
      }
      if (event == E::kReportUnreadable) return go(S::kAmbiguous, {SA::kAlertAmbiguous});
      break;
    default:
      break;
  }
  return Err(Refuse("sender", Name(state_), static_cast<int>(event)));
}

Result<std::vector<ReceiverAction>> ReceiverHandshake::Handle(ReceiverEvent event) {
  using S = ReceiverState;
  using E = ReceiverEvent;
  auto go = [this](S next, std::vector<RA> actions) {
    state_ = next;
    return actions;
  };
  switch (state_) {
    case S::kSendBanner:
      if (event == E::kBannerSent) return go(S::kRestoring, {RA::kRestorePaused});
      if (event == E::kSendFailed || event == E::kAbort) return go(S::kFailed, {});
      break;
    case S::kRestoring:
      if (event == E::kRestored) return go(S::kSendReady, {RA::kSendReady});
      if (event == E::kRestoreFailed) return go(S::kFailed, {RA::kDestroyIncoming});
      break;
    case S::kSendReady:
      if (event == E::kReadySent) return go(S::kAwaitPermission, {RA::kAwaitPermission});
      if (event == E::kSendFailed || event == E::kAbort) {
        return go(S::kFailed, {RA::kDestroyIncoming});
      }
      break;
    case S::kAwaitPermission:
      if (event == E::kPermission) {
        return go(S::kUnpausing, {RA::kRenameToFinal, RA::kUnpause});
      }
      // No permission: the sender keeps (or resumes) its copy; ours must go.
      if (event == E::kPermissionMissing || event == E::kAbort) {
        return go(S::kFailed, {RA::kDestroyIncoming});
      }
      break;
    case S::kUnpausing:
      if (event == E::kUnpaused) return go(S::kRunning, {RA::kReportSuccess});
      if (event == E::kUnpauseFailed) {
        // Destroy first: when the sender reads the failure it resumes its copy.
        return go(S::kFailed, {RA::kDestroyIncoming, RA::kReportFailure});
      }
      break;
    default:
      break;
  }
  return Err(Refuse("receiver", Name(state_), static_cast<int>(event)));
}

}  // namespace drover::hv
