#include "agent/hypervisor/xen/xen_receiver.h"

#include <sys/socket.h>
#include <unistd.h>

#include "agent/hypervisor/status_util.h"
#include "agent/hypervisor/xen/xen_messages.h"

namespace drover::hv {

using xen_wire::Message;

XenReceiver::XenReceiver(XenControl* api, XenDomainSpec spec, int fd, Millis handshake_timeout,
                         Millis permission_timeout)
    : api_(api),
      spec_(std::move(spec)),
      fd_(fd),
      timeout_(handshake_timeout),
      permission_timeout_(permission_timeout) {
  thread_ = std::thread([this] { Run(); });
}

XenReceiver::~XenReceiver() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!machine_.done() && machine_.state() != ReceiverState::kUnpausing) {
      ::shutdown(fd_, SHUT_RDWR);
    }
  }
  thread_.join();
  ::close(fd_);
}

ReceiverState XenReceiver::state() {
  std::lock_guard<std::mutex> lock(mu_);
  return machine_.state();
}

Result<MigrationStatus> XenReceiver::Wait(Millis timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return finished_; })) {
    return Err(Timeout("xen: incoming migration of " + spec_.name + " not complete"));
  }
  MigrationStatus st;
  st.phase = machine_.state() == ReceiverState::kRunning ? MigrationPhase::kCompleted
                                                         : MigrationPhase::kFailed;
  st.error = error_;
  return st;
}

Status XenReceiver::Abort() {
  std::unique_lock<std::mutex> lock(mu_);
  if (machine_.state() == ReceiverState::kUnpausing) {
    return InvalidArgument("xen: incoming " + spec_.name + " is being unpaused");
  }
  if (!machine_.done()) ::shutdown(fd_, SHUT_RDWR);
  cv_.wait(lock, [&] { return finished_; });
  return Status::Ok();
}

void XenReceiver::Feed(ReceiverEvent event) {
  std::lock_guard<std::mutex> lock(mu_);
  auto actions = machine_.Handle(event);
  if (actions) todo_.insert(todo_.end(), actions->begin(), actions->end());
  cv_.notify_all();
}

void XenReceiver::Check(const Status& s, ReceiverEvent ok, ReceiverEvent bad) {
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_.empty()) error_ = s.ToString();
  }
  Feed(s.ok() ? ok : bad);
}

void XenReceiver::Run() {
  Check(xen_wire::Send(fd_, Message::kBanner, timeout_), ReceiverEvent::kBannerSent,
        ReceiverEvent::kSendFailed);
  while (!todo_.empty()) {
    ReceiverAction a = todo_.front();
    todo_.pop_front();
    Execute(a);
  }
  std::lock_guard<std::mutex> lock(mu_);
  // A failed receiver hangs up, so the sender learns at once (as xl's exit does).
  if (machine_.state() == ReceiverState::kFailed) ::shutdown(fd_, SHUT_WR);
  finished_ = true;
  cv_.notify_all();
}

void XenReceiver::Execute(ReceiverAction action) {
  const std::string incoming = IncomingName(spec_.name);
  switch (action) {
    case ReceiverAction::kRestorePaused: {
      auto domid = api_->CreateRestore(spec_, fd_, fd_);
      if (domid) domid_ = *domid;
      Check(ToStatus(domid), ReceiverEvent::kRestored, ReceiverEvent::kRestoreFailed);
      return;
    }
    case ReceiverAction::kSendReady:
      Check(xen_wire::Send(fd_, Message::kReady, timeout_), ReceiverEvent::kReadySent,
            ReceiverEvent::kSendFailed);
      return;
    case ReceiverAction::kAwaitPermission:
      Check(xen_wire::Expect(fd_, Message::kPermissionToGo, permission_timeout_),
            ReceiverEvent::kPermission, ReceiverEvent::kPermissionMissing);
      return;
    case ReceiverAction::kRenameToFinal:
      unpause_ = api_->Rename(domid_, incoming, spec_.name);
      return;
    case ReceiverAction::kUnpause:
      if (unpause_.ok()) unpause_ = api_->Unpause(domid_);
      Check(unpause_, ReceiverEvent::kUnpaused, ReceiverEvent::kUnpauseFailed);
      return;
    case ReceiverAction::kReportSuccess:
      (void)xen_wire::SendReport(fd_, 0, timeout_);
      return;
    case ReceiverAction::kReportFailure:
      (void)xen_wire::SendReport(fd_, 1, timeout_);
      return;
    case ReceiverAction::kDestroyIncoming:
      if (auto dom = api_->FindDomain(incoming)) {
        (void)api_->Destroy(dom->domid);
      } else if (domid_ != 0) {
        (void)api_->Destroy(domid_);
      }
      return;
  }
}

}  // namespace drover::hv
