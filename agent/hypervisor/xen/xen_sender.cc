#include "agent/hypervisor/xen/xen_sender.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/hypervisor/xen/xen_domain_spec.h"
#include "agent/hypervisor/xen/xen_messages.h"

namespace drover::hv {
namespace {

using xen_wire::Message;

MigrationPhase PhaseOf(SenderState s) {
  switch (s) {
    case SenderState::kPreSwitchover:
      return MigrationPhase::kPreSwitchover;
    case SenderState::kAwaitReport:
      return MigrationPhase::kCompleting;
    case SenderState::kCompleted:
      return MigrationPhase::kCompleted;
    case SenderState::kFailed:
    case SenderState::kAmbiguous:
      return MigrationPhase::kFailed;
    case SenderState::kCancelled:
      return MigrationPhase::kCancelled;
    default:
      return MigrationPhase::kActive;
  }
}

uint64_t Ms(std::chrono::steady_clock::duration d) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

XenSender::XenSender(XenControl* api, std::string name, uint32_t domid, int fd,
                     Millis handshake_timeout)
    : api_(api),
      name_(std::move(name)),
      domid_(domid),
      fd_(fd),
      timeout_(handshake_timeout),
      start_(Clock::now()) {
  thread_ = std::thread([this] { Run(); });
}

XenSender::~XenSender() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (machine_.source_may_run() && !machine_.done()) {
      command_ = Command::kAbort;
      ::shutdown(fd_, SHUT_RDWR);
    }
    cv_.notify_all();
  }
  thread_.join();
  ::close(fd_);
}

SenderState XenSender::state() {
  std::lock_guard<std::mutex> lock(mu_);
  return machine_.state();
}

MigrationStatus XenSender::Status() {
  std::lock_guard<std::mutex> lock(mu_);
  MigrationStatus st;
  // A machine that reached its end may still be carrying out its last
  // actions (destroy, rename back, resume): not over until the thread is.
  st.phase =
      machine_.done() && !finished_ ? MigrationPhase::kCompleting : PhaseOf(machine_.state());
  st.ambiguous = machine_.state() == SenderState::kAmbiguous;
  st.error = error_;
  st.total_ms = Ms((finished_ ? end_ : Clock::now()) - start_);
  if (machine_.state() == SenderState::kCompleted) st.downtime_ms = Ms(end_ - suspended_);
  return st;
}

Result<MigrationStatus> XenSender::WaitForSwitchover(Millis timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, timeout,
                    [&] { return machine_.state() == SenderState::kPreSwitchover || finished_; })) {
    return Err(Timeout("xen: migration of " + name_ + " not at pre-switchover"));
  }
  lock.unlock();
  return Status();
}

Result<MigrationStatus> XenSender::Continue(Millis timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (machine_.state() != SenderState::kCompleted) {
    if (machine_.state() != SenderState::kPreSwitchover) {
      return Err(InvalidArgument("xen: migration of " + name_ + " is " +
                                 std::string(Name(machine_.state())) + ", not pre-switchover"));
    }
    command_ = Command::kContinue;
    cv_.notify_all();
    if (!cv_.wait_for(lock, timeout, [&] { return finished_; })) {
      return Err(Timeout("xen: migration of " + name_ + " did not complete"));
    }
  }
  lock.unlock();
  return Status();
}

::drover::Status XenSender::Abort(Millis timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!machine_.source_may_run()) {
    return InvalidArgument("xen: migration of " + name_ + " is past permission to go (" +
                           std::string(Name(machine_.state())) + "): the source must not resume");
  }
  if (!machine_.done()) {
    command_ = Command::kAbort;
    ::shutdown(fd_, SHUT_RDWR);  // wakes a blocked suspend or read
    cv_.notify_all();
  }
  if (!cv_.wait_for(lock, timeout, [&] { return finished_; })) {
    return Timeout("xen: abort of " + name_ + " still in progress");
  }
  return ::drover::Status::Ok();
}

void XenSender::Feed(SenderEvent event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (command_ == Command::kAbort && machine_.source_may_run() && !machine_.done()) {
    event = SenderEvent::kAbort;  // a failure caused by our own shutdown()
  }
  auto actions = machine_.Handle(event);
  if (actions) todo_.insert(todo_.end(), actions->begin(), actions->end());
  cv_.notify_all();
}

void XenSender::Fail(const ::drover::Status& s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error_.empty()) error_ = s.ToString();
}

void XenSender::Run() {
  ::drover::Status banner = xen_wire::Expect(fd_, Message::kBanner, timeout_);
  if (!banner.ok()) Fail(banner);
  Feed(banner.ok() ? SenderEvent::kBannerReceived : SenderEvent::kBannerBad);
  for (;;) {
    if (todo_.empty()) {
      std::unique_lock<std::mutex> lock(mu_);
      if (machine_.done()) {
        finished_ = true;
        end_ = Clock::now();
        cv_.notify_all();
        return;
      }
      // kPreSwitchover: the caller decides.
      cv_.wait(lock, [&] { return command_ != Command::kNone; });
      SenderEvent e = command_ == Command::kContinue ? SenderEvent::kContinue : SenderEvent::kAbort;
      lock.unlock();
      Feed(e);
      continue;
    }
    SenderAction a = todo_.front();
    todo_.pop_front();
    Execute(a);
  }
}

void XenSender::Execute(SenderAction action) {
  switch (action) {
    case SenderAction::kStartStream: {
      ::drover::Status s = api_->Suspend(domid_, fd_, /*live=*/true);
      {
        std::lock_guard<std::mutex> lock(mu_);
        suspended_ = Clock::now();
      }
      if (!s.ok()) Fail(s);
      Feed(s.ok() ? SenderEvent::kStreamDone : SenderEvent::kStreamFailed);
      return;
    }
    case SenderAction::kAwaitReady: {
      ::drover::Status s = xen_wire::Expect(fd_, Message::kReady, timeout_);
      if (!s.ok()) Fail(s);
      Feed(s.ok() ? SenderEvent::kReadyReceived : SenderEvent::kReadyMissing);
      return;
    }
    case SenderAction::kRenameAway:
      (void)api_->Rename(domid_, name_, MigratedAwayName(name_));
      return;
    case SenderAction::kSendPermission: {
      ::drover::Status s = xen_wire::Send(fd_, Message::kPermissionToGo, timeout_);
      if (!s.ok()) {  // it may or may not have arrived
        Fail(s);
        todo_.clear();
        Feed(SenderEvent::kReportUnreadable);
      }
      return;
    }
    case SenderAction::kAwaitReport: {
      auto rc = xen_wire::ExpectReport(fd_, timeout_);
      if (!rc) Fail(rc.error());
      if (rc && *rc != 0)
        Fail(Internal("receiver could not unpause (rc " + std::to_string(*rc) + ")"));
      Feed(!rc        ? SenderEvent::kReportUnreadable
           : *rc == 0 ? SenderEvent::kReportOk
                      : SenderEvent::kReportFailure);
      return;
    }
    case SenderAction::kDestroySource:
      (void)api_->Destroy(domid_);
      return;
    case SenderAction::kRenameBack:
      (void)api_->Rename(domid_, MigratedAwayName(name_), name_);
      return;
    case SenderAction::kResumeSource: {
      auto dom = api_->FindDomain(name_);
      if (dom && dom->suspended) (void)api_->Resume(domid_, /*cancel=*/true);
      if (dom && dom->paused) (void)api_->Unpause(domid_);
      return;
    }
    case SenderAction::kCloseConnection:
      ::shutdown(fd_, SHUT_RDWR);
      return;
    case SenderAction::kAlertAmbiguous:
      spdlog::critical(
          "xen: migration of {} failed after permission to go: it is unknown which copy runs. "
          "Check both hosts and fence before resuming exactly one of them.",
          name_);
      return;
  }
}

}  // namespace drover::hv
