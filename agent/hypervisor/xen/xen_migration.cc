// XenHypervisor: both ends of a live migration, each a thread that drives
// its handshake state machine (xen_handshake.h) with libxl and the socket.
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <thread>

#include <spdlog/spdlog.h>

#include "agent/hypervisor/status_util.h"
#include "agent/hypervisor/xen/xen_handshake.h"
#include "agent/hypervisor/xen/xen_hypervisor.h"
#include "agent/hypervisor/xen/xen_messages.h"

namespace drover::hv {
namespace {

using Clock = std::chrono::steady_clock;
using xen_wire::Message;

uint64_t MsBetween(Clock::time_point a, Clock::time_point b) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count());
}

MigrationPhase PhaseOf(SenderState s) {
  switch (s) {
    case SenderState::kPreSwitchover: return MigrationPhase::kPreSwitchover;
    case SenderState::kAwaitReport: return MigrationPhase::kCompleting;
    case SenderState::kCompleted: return MigrationPhase::kCompleted;
    case SenderState::kFailed:
    case SenderState::kAmbiguous: return MigrationPhase::kFailed;
    case SenderState::kCancelled: return MigrationPhase::kCancelled;
    default: return MigrationPhase::kActive;
  }
}

}  // namespace

// One migration end: the socket, the machine, the thread.
struct XenHypervisor::Outgoing {
  std::mutex mu;
  std::condition_variable cv;
  SenderHandshake machine;     // guarded by mu
  enum class Command { kNone, kContinue, kAbort } command = Command::kNone;  // guarded by mu
  std::string error;           // guarded by mu
  Clock::time_point start = Clock::now(), suspended_at, finished_at;  // guarded by mu
  int fd = -1;
  std::string name;
  uint32_t domid = 0;
  std::thread thread;
  ~Outgoing() {
    if (thread.joinable()) thread.join();
    if (fd >= 0) ::close(fd);
  }
  MigrationStatus Status() {
    std::lock_guard<std::mutex> lock(mu);
    MigrationStatus st;
    st.phase = PhaseOf(machine.state());
    st.ambiguous = machine.state() == SenderState::kAmbiguous;
    st.error = error;
    st.total_ms = MsBetween(start, machine.done() ? finished_at : Clock::now());
    if (machine.state() == SenderState::kCompleted) st.downtime_ms = MsBetween(suspended_at, finished_at);
    return st;
  }
};

struct XenHypervisor::Incoming {
  std::mutex mu;
  std::condition_variable cv;
  ReceiverHandshake machine;  // guarded by mu
  std::string error;          // guarded by mu
  int fd = -1;
  GuestSpec spec;
  uint32_t domid = 0;
  std::thread thread;
  ~Incoming() {
    if (thread.joinable()) thread.join();
    if (fd >= 0) ::close(fd);
  }
};

// Migrations still before permission to go are aborted (the source resumes,
// the receiver destroys its copy); the threads are joined before libxl goes.
XenHypervisor::~XenHypervisor() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, out] : outgoing_) {
    {
      std::lock_guard<std::mutex> l(out->mu);
      if (out->machine.source_may_run() && !out->machine.done()) ::shutdown(out->fd, SHUT_RDWR);
      out->command = Outgoing::Command::kAbort;
      out->cv.notify_all();
    }
    if (out->thread.joinable()) out->thread.join();
  }
  for (auto& [name, in] : incoming_) {
    {
      std::lock_guard<std::mutex> l(in->mu);
      if (!in->machine.done()) ::shutdown(in->fd, SHUT_RDWR);
    }
    if (in->thread.joinable()) in->thread.join();
  }
}

std::shared_ptr<XenHypervisor::Outgoing> XenHypervisor::FindOutgoing(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = outgoing_.find(name);
  return it == outgoing_.end() ? nullptr : it->second;
}

std::shared_ptr<XenHypervisor::Incoming> XenHypervisor::FindIncoming(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = incoming_.find(name);
  return it == incoming_.end() ? nullptr : it->second;
}

Status XenHypervisor::StartMigrationOut(const std::string& name, const MigrationTarget& target,
                                        const MigrationParams& /*params: libxl has no knobs*/) {
  if (target.fd < 0) return InvalidArgument("xen: migration target needs a connected socket");
  if (auto old = FindOutgoing(name)) {
    std::lock_guard<std::mutex> lock(old->mu);
    SenderState s = old->machine.state();
    if (s != SenderState::kFailed && s != SenderState::kCancelled) {
      return InvalidArgument("xen: guest " + name + " is already migrating or migrated");
    }
  }
  HV_ASSIGN_OR_RETURN_STATUS(XenDomainInfo dom, api_->FindDomain(name));
  auto owner = std::make_shared<Outgoing>();
  Outgoing* m = owner.get();  // the thread never owns it: the map does
  m->fd = ::dup(target.fd);
  if (m->fd < 0) return ErrnoStatus("dup", errno);
  m->name = name;
  m->domid = dom.domid;
  LibxlApi* api = api_.get();
  const XenOptions& opt = options_;
  m->thread = std::thread([m, api, &opt] {
    std::deque<SenderAction> todo;
    auto feed = [&](SenderEvent e) {
      std::lock_guard<std::mutex> lock(m->mu);
      auto actions = m->machine.Handle(e);
      if (actions) todo.insert(todo.end(), actions->begin(), actions->end());
      if (m->machine.done()) m->finished_at = Clock::now();
      m->cv.notify_all();
    };
    auto aborted = [&] {
      std::lock_guard<std::mutex> lock(m->mu);
      return m->command == Outgoing::Command::kAbort;
    };
    auto fail = [&](const Status& s) {
      std::lock_guard<std::mutex> lock(m->mu);
      if (m->error.empty()) m->error = s.ToString();
    };
    Status banner = xen_wire::Expect(m->fd, Message::kBanner, opt.handshake_timeout);
    if (!banner.ok()) fail(banner);
    feed(aborted() ? SenderEvent::kAbort
                   : banner.ok() ? SenderEvent::kBannerReceived : SenderEvent::kBannerBad);
    std::string away = MigratedAwayName(m->name);
    while (!todo.empty() || !m->machine.done()) {
      if (todo.empty()) {  // kPreSwitchover: wait for the caller
        std::unique_lock<std::mutex> lock(m->mu);
        m->cv.wait(lock, [&] { return m->command != Outgoing::Command::kNone; });
        auto cmd = m->command == Outgoing::Command::kContinue ? SenderEvent::kContinue
                                                              : SenderEvent::kAbort;
        lock.unlock();
        feed(cmd);
        continue;
      }
      SenderAction a = todo.front();
      todo.pop_front();
      switch (a) {
        case SenderAction::kStartStream: {
          Status s = api->Suspend(m->domid, m->fd, /*live=*/true);
          {
            std::lock_guard<std::mutex> lock(m->mu);
            m->suspended_at = Clock::now();
          }
          if (!s.ok()) fail(s);
          feed(aborted() ? SenderEvent::kAbort
                         : s.ok() ? SenderEvent::kStreamDone : SenderEvent::kStreamFailed);
          break;
        }
        case SenderAction::kAwaitReady: {
          Status s = xen_wire::Expect(m->fd, Message::kReady, opt.handshake_timeout);
          if (!s.ok()) fail(s);
          feed(aborted() ? SenderEvent::kAbort
                         : s.ok() ? SenderEvent::kReadyReceived : SenderEvent::kReadyMissing);
          break;
        }
        case SenderAction::kRenameAway:
          (void)api->Rename(m->domid, m->name, away);
          break;
        case SenderAction::kSendPermission: {
          Status s = xen_wire::Send(m->fd, Message::kPermissionToGo, opt.handshake_timeout);
          if (!s.ok()) {  // it may or may not have arrived
            fail(s);
            todo.clear();
            feed(SenderEvent::kReportUnreadable);
          }
          break;
        }
        case SenderAction::kAwaitReport: {
          auto rc = xen_wire::ExpectReport(m->fd, opt.handshake_timeout);
          if (!rc) fail(rc.error());
          if (rc && *rc != 0) fail(Internal("receiver could not unpause (rc " + std::to_string(*rc) + ")"));
          feed(!rc ? SenderEvent::kReportUnreadable
                   : *rc == 0 ? SenderEvent::kReportOk : SenderEvent::kReportFailure);
          break;
        }
        case SenderAction::kDestroySource:
          (void)api->Destroy(m->domid);
          break;
        case SenderAction::kRenameBack:
          (void)api->Rename(m->domid, away, m->name);
          break;
        case SenderAction::kResumeSource: {
          auto dom = api->FindDomain(m->name);
          if (dom && dom->suspended) (void)api->Resume(m->domid, /*cancel=*/true);
          if (dom && dom->paused) (void)api->Unpause(m->domid);
          break;
        }
        case SenderAction::kCloseConnection:
          ::shutdown(m->fd, SHUT_RDWR);
          break;
        case SenderAction::kAlertAmbiguous:
          spdlog::critical(
              "xen: migration of {} failed after permission to go: it is unknown which copy "
              "runs. Check both hosts and fence before resuming exactly one of them.",
              m->name);
          break;
      }
    }
  });
  std::lock_guard<std::mutex> lock(mu_);
  outgoing_[name] = std::move(owner);
  return Status::Ok();
}

Result<MigrationStatus> XenHypervisor::QueryMigrationOut(const std::string& name) {
  auto m = FindOutgoing(name);
  if (!m) return MigrationStatus{};
  return m->Status();
}

Result<MigrationStatus> XenHypervisor::WaitForSwitchover(const std::string& name,
                                                         Millis timeout) {
  auto m = FindOutgoing(name);
  if (!m) return MigrationStatus{};
  std::unique_lock<std::mutex> lock(m->mu);
  bool reached = m->cv.wait_for(lock, timeout, [&] {
    return m->machine.state() == SenderState::kPreSwitchover || m->machine.done();
  });
  lock.unlock();
  if (!reached) return Err(Timeout("xen: migration of " + name + " not at pre-switchover"));
  return m->Status();
}

Result<MigrationStatus> XenHypervisor::ContinueMigrationOut(const std::string& name,
                                                            Millis timeout) {
  auto m = FindOutgoing(name);
  if (!m) return Err(InvalidArgument("xen: guest " + name + " is not migrating"));
  std::unique_lock<std::mutex> lock(m->mu);
  if (m->machine.state() == SenderState::kCompleted) {
    lock.unlock();
    return m->Status();
  }
  if (m->machine.state() != SenderState::kPreSwitchover) {
    return Err(InvalidArgument("xen: migration of " + name + " is " +
                               std::string(Name(m->machine.state())) + ", not pre-switchover"));
  }
  m->command = Outgoing::Command::kContinue;
  m->cv.notify_all();
  bool done = m->cv.wait_for(lock, timeout, [&] { return m->machine.done(); });
  lock.unlock();
  if (!done) return Err(Timeout("xen: migration of " + name + " did not complete"));
  return m->Status();
}

Status XenHypervisor::AbortMigrationOut(const std::string& name, Millis timeout) {
  auto m = FindOutgoing(name);
  if (!m) return Status::Ok();
  std::unique_lock<std::mutex> lock(m->mu);
  SenderState s = m->machine.state();
  if (s == SenderState::kAwaitReport || s == SenderState::kCompleted ||
      s == SenderState::kAmbiguous) {
    return InvalidArgument("xen: migration of " + name + " is past permission to go (" +
                           std::string(Name(s)) + "): the source must not resume");
  }
  if (!m->machine.done()) {
    m->command = Outgoing::Command::kAbort;
    ::shutdown(m->fd, SHUT_RDWR);  // wakes a blocked suspend or read
    m->cv.notify_all();
    if (!m->cv.wait_for(lock, timeout, [&] { return m->machine.done(); })) {
      return Timeout("xen: abort of " + name + " still in progress");
    }
  }
  return Status::Ok();
}

Result<MigrationTarget> XenHypervisor::PrepareMigrationIn(const GuestSpec& spec,
                                                          const IncomingParams& params) {
  if (params.fd < 0) return Err(InvalidArgument("xen: incoming migration needs an accepted socket"));
  if (auto old = FindIncoming(spec.name)) {
    std::lock_guard<std::mutex> lock(old->mu);
    if (!old->machine.done()) return MigrationTarget{};  // a repeat while it waits
  }
  RETURN_IF_ERROR(Define(spec));
  ASSIGN_OR_RETURN(XenDomainSpec xspec, DomainSpec(spec.name));
  auto owner = std::make_shared<Incoming>();
  Incoming* m = owner.get();  // the thread never owns it: the map does
  m->fd = ::dup(params.fd);
  if (m->fd < 0) return Err(ErrnoStatus("dup", errno));
  m->spec = spec;
  LibxlApi* api = api_.get();
  const XenOptions& opt = options_;
  m->thread = std::thread([m, api, xspec, &opt] {
    std::deque<ReceiverAction> todo;
    auto feed = [&](ReceiverEvent e) {
      std::lock_guard<std::mutex> lock(m->mu);
      auto actions = m->machine.Handle(e);
      if (actions) todo.insert(todo.end(), actions->begin(), actions->end());
      m->cv.notify_all();
    };
    auto fail = [&](const Status& s) {
      std::lock_guard<std::mutex> lock(m->mu);
      if (m->error.empty()) m->error = s.ToString();
    };
    auto check = [&](const Status& s, ReceiverEvent ok, ReceiverEvent bad) {
      if (!s.ok()) fail(s);
      feed(s.ok() ? ok : bad);
    };
    check(xen_wire::Send(m->fd, Message::kBanner, opt.handshake_timeout),
          ReceiverEvent::kBannerSent, ReceiverEvent::kSendFailed);
    std::string incoming = IncomingName(xspec.name);
    Status unpause;
    while (!todo.empty()) {
      ReceiverAction a = todo.front();
      todo.pop_front();
      switch (a) {
        case ReceiverAction::kRestorePaused: {
          auto domid = api->CreateRestore(xspec, m->fd, m->fd);
          if (domid) m->domid = *domid;
          check(ToStatus(domid), ReceiverEvent::kRestored, ReceiverEvent::kRestoreFailed);
          break;
        }
        case ReceiverAction::kSendReady:
          check(xen_wire::Send(m->fd, Message::kReady, opt.handshake_timeout),
                ReceiverEvent::kReadySent, ReceiverEvent::kSendFailed);
          break;
        case ReceiverAction::kAwaitPermission:
          check(xen_wire::Expect(m->fd, Message::kPermissionToGo, opt.permission_timeout),
                ReceiverEvent::kPermission, ReceiverEvent::kPermissionMissing);
          break;
        case ReceiverAction::kRenameToFinal:
          unpause = api->Rename(m->domid, incoming, xspec.name);
          break;
        case ReceiverAction::kUnpause:
          if (unpause.ok()) unpause = api->Unpause(m->domid);
          check(unpause, ReceiverEvent::kUnpaused, ReceiverEvent::kUnpauseFailed);
          break;
        case ReceiverAction::kReportSuccess:
          (void)xen_wire::SendReport(m->fd, 0, opt.handshake_timeout);
          break;
        case ReceiverAction::kReportFailure:
          (void)xen_wire::SendReport(m->fd, 1, opt.handshake_timeout);
          break;
        case ReceiverAction::kDestroyIncoming:
          if (auto dom = api->FindDomain(incoming)) (void)api->Destroy(dom->domid);
          else if (m->domid != 0) (void)api->Destroy(m->domid);
          break;
      }
    }
  });
  std::lock_guard<std::mutex> lock(mu_);
  incoming_[spec.name] = std::move(owner);
  return MigrationTarget{};
}

Result<MigrationStatus> XenHypervisor::WaitMigrationIn(const std::string& name, Millis timeout) {
  auto m = FindIncoming(name);
  if (!m) return Err(NotFound("xen: no incoming migration of " + name));
  std::unique_lock<std::mutex> lock(m->mu);
  if (!m->cv.wait_for(lock, timeout, [&] { return m->machine.done(); })) {
    return Err(Timeout("xen: incoming migration of " + name + " not complete"));
  }
  MigrationStatus st;
  st.phase = m->machine.state() == ReceiverState::kRunning ? MigrationPhase::kCompleted
                                                           : MigrationPhase::kFailed;
  st.error = m->error;
  return st;
}

Status XenHypervisor::AbortMigrationIn(const std::string& name) {
  auto m = FindIncoming(name);
  if (m) {
    std::unique_lock<std::mutex> lock(m->mu);
    if (m->machine.state() == ReceiverState::kUnpausing) {
      return InvalidArgument("xen: incoming " + name + " is being unpaused");
    }
    if (!m->machine.done()) ::shutdown(m->fd, SHUT_RDWR);
    m->cv.wait(lock, [&] { return m->machine.done(); });
  }
  RETURN_STATUS_IF_ERROR(Destroy(name));
  RETURN_STATUS_IF_ERROR(Destroy(IncomingName(name)));
  RETURN_STATUS_IF_ERROR(Undefine(name));
  std::lock_guard<std::mutex> lock(mu_);
  incoming_.erase(name);
  return Status::Ok();
}

}  // namespace drover::hv
