// The xl-migrate handshake state machines, their wire messages, and both
// ends run against each other over a socketpair with a scripted "libxl" — all
// without Xen.
#include "agent/hypervisor/xen/xen_handshake.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "agent/hypervisor/xen/xen_messages.h"

namespace drover::hv {
namespace {

using namespace std::chrono_literals;
using SA = SenderAction;
using SE = SenderEvent;
using RA = ReceiverAction;
using RE = ReceiverEvent;

std::vector<SA> Do(SenderHandshake* m, SE e) {
  auto r = m->Handle(e);
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  return r ? *r : std::vector<SA>{};
}

std::vector<RA> Do(ReceiverHandshake* m, RE e) {
  auto r = m->Handle(e);
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  return r ? *r : std::vector<RA>{};
}

bool Contains(const std::vector<SA>& v, SA a) {
  return std::find(v.begin(), v.end(), a) != v.end();
}

// A sender brought to pre-switchover.
SenderHandshake AtPreSwitchover() {
  SenderHandshake m;
  EXPECT_EQ(Do(&m, SE::kBannerReceived), std::vector<SA>{SA::kStartStream});
  EXPECT_EQ(Do(&m, SE::kStreamDone), std::vector<SA>{SA::kAwaitReady});
  EXPECT_TRUE(Do(&m, SE::kReadyReceived).empty());
  EXPECT_EQ(m.state(), SenderState::kPreSwitchover);
  return m;
}

TEST(XenSender, HappyPath) {
  SenderHandshake m = AtPreSwitchover();
  EXPECT_TRUE(m.source_may_run());
  EXPECT_EQ(Do(&m, SE::kContinue),
            (std::vector<SA>{SA::kRenameAway, SA::kSendPermission, SA::kAwaitReport}));
  EXPECT_FALSE(m.source_may_run());
  EXPECT_EQ(Do(&m, SE::kReportOk), std::vector<SA>{SA::kDestroySource});
  EXPECT_EQ(m.state(), SenderState::kCompleted);
  EXPECT_TRUE(m.done());
}

TEST(XenSender, FailuresBeforePermissionResumeSource) {
  {
    SenderHandshake m;
    EXPECT_EQ(Do(&m, SE::kBannerBad), std::vector<SA>{SA::kCloseConnection});
    EXPECT_EQ(m.state(), SenderState::kFailed);
  }
  {
    SenderHandshake m;
    Do(&m, SE::kBannerReceived);
    auto a = Do(&m, SE::kStreamFailed);
    EXPECT_TRUE(Contains(a, SA::kResumeSource));
    EXPECT_EQ(m.state(), SenderState::kFailed);
  }
  {
    SenderHandshake m;
    Do(&m, SE::kBannerReceived);
    Do(&m, SE::kStreamDone);
    auto a = Do(&m, SE::kReadyMissing);  // the receiver failed to restore
    EXPECT_TRUE(Contains(a, SA::kResumeSource));
    EXPECT_TRUE(Contains(a, SA::kCloseConnection));
  }
}

TEST(XenSender, AbortAtPreSwitchoverResumesSource) {
  SenderHandshake m = AtPreSwitchover();
  auto a = Do(&m, SE::kAbort);
  EXPECT_TRUE(Contains(a, SA::kCloseConnection));
  EXPECT_TRUE(Contains(a, SA::kResumeSource));
  EXPECT_EQ(m.state(), SenderState::kCancelled);
}

TEST(XenSender, ReceiverUnpauseFailureResumesSourceUnderItsName) {
  SenderHandshake m = AtPreSwitchover();
  Do(&m, SE::kContinue);
  EXPECT_EQ(Do(&m, SE::kReportFailure), (std::vector<SA>{SA::kRenameBack, SA::kResumeSource}));
  EXPECT_EQ(m.state(), SenderState::kFailed);
}

TEST(XenSender, LostReportIsAmbiguousAndNeverResumes) {
  SenderHandshake m = AtPreSwitchover();
  Do(&m, SE::kContinue);
  auto a = Do(&m, SE::kReportUnreadable);
  EXPECT_EQ(a, std::vector<SA>{SA::kAlertAmbiguous});
  EXPECT_EQ(m.state(), SenderState::kAmbiguous);
  EXPECT_FALSE(m.source_may_run());
  EXPECT_FALSE(m.Handle(SE::kAbort).has_value()) << "no abort after permission to go";
}

TEST(XenSender, OutOfOrderEventsAreRefused) {
  SenderHandshake m;
  EXPECT_FALSE(m.Handle(SE::kContinue).has_value());
  EXPECT_FALSE(m.Handle(SE::kReportOk).has_value());
  EXPECT_EQ(m.state(), SenderState::kAwaitBanner);
  SenderHandshake p = AtPreSwitchover();
  Do(&p, SE::kContinue);
  EXPECT_FALSE(p.Handle(SE::kAbort).has_value());
  EXPECT_FALSE(p.Handle(SE::kContinue).has_value());
  EXPECT_EQ(p.state(), SenderState::kAwaitReport);
}

// Whatever happens, once permission to go has been sent the source is
// resumed only if the receiver reported failure; and a finished machine
// accepts nothing.
RC_GTEST_PROP(XenSender, NeverResumesAfterPermissionUnlessReceiverFailed, ()) {
  auto events = *rc::gen::container<std::vector<SE>>(
      rc::gen::element(SE::kBannerReceived, SE::kBannerBad, SE::kStreamDone, SE::kStreamFailed,
                       SE::kReadyReceived, SE::kReadyMissing, SE::kContinue, SE::kAbort,
                       SE::kReportOk, SE::kReportFailure, SE::kReportUnreadable));
  SenderHandshake m;
  bool permission_sent = false;
  for (SE e : events) {
    bool was_done = m.done();
    auto r = m.Handle(e);
    if (was_done) RC_ASSERT(!r.has_value());
    if (!r) continue;
    if (Contains(*r, SA::kResumeSource) && permission_sent) {
      RC_ASSERT(e == SE::kReportFailure);
    }
    if (Contains(*r, SA::kSendPermission)) permission_sent = true;
    if (Contains(*r, SA::kDestroySource)) RC_ASSERT(e == SE::kReportOk);
  }
}

TEST(XenReceiver, HappyPath) {
  ReceiverHandshake m;
  EXPECT_EQ(Do(&m, RE::kBannerSent), std::vector<RA>{RA::kRestorePaused});
  EXPECT_EQ(Do(&m, RE::kRestored), std::vector<RA>{RA::kSendReady});
  EXPECT_EQ(Do(&m, RE::kReadySent), std::vector<RA>{RA::kAwaitPermission});
  EXPECT_EQ(Do(&m, RE::kPermission), (std::vector<RA>{RA::kRenameToFinal, RA::kUnpause}));
  EXPECT_EQ(Do(&m, RE::kUnpaused), std::vector<RA>{RA::kReportSuccess});
  EXPECT_EQ(m.state(), ReceiverState::kRunning);
}

TEST(XenReceiver, NoPermissionDestroysOurCopy) {
  ReceiverHandshake m;
  Do(&m, RE::kBannerSent);
  Do(&m, RE::kRestored);
  Do(&m, RE::kReadySent);
  EXPECT_EQ(Do(&m, RE::kPermissionMissing), std::vector<RA>{RA::kDestroyIncoming});
  EXPECT_EQ(m.state(), ReceiverState::kFailed);
}

TEST(XenReceiver, UnpauseFailureDestroysBeforeReporting) {
  ReceiverHandshake m;
  Do(&m, RE::kBannerSent);
  Do(&m, RE::kRestored);
  Do(&m, RE::kReadySent);
  Do(&m, RE::kPermission);
  EXPECT_FALSE(m.Handle(RE::kAbort).has_value()) << "no abort while unpausing";
  EXPECT_EQ(Do(&m, RE::kUnpauseFailed),
            (std::vector<RA>{RA::kDestroyIncoming, RA::kReportFailure}));
}

TEST(XenReceiver, RestoreFailureAndAbort) {
  ReceiverHandshake a;
  Do(&a, RE::kBannerSent);
  EXPECT_EQ(Do(&a, RE::kRestoreFailed), std::vector<RA>{RA::kDestroyIncoming});
  ReceiverHandshake b;
  Do(&b, RE::kBannerSent);
  Do(&b, RE::kRestored);
  Do(&b, RE::kReadySent);
  EXPECT_EQ(Do(&b, RE::kAbort), std::vector<RA>{RA::kDestroyIncoming});
  EXPECT_FALSE(b.Handle(RE::kPermission).has_value());
}

class SocketPair : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fd_), 0); }
  void TearDown() override {
    for (int f : fd_)
      if (f >= 0) ::close(f);
  }
  int fd_[2] = {-1, -1};
};

TEST_F(SocketPair, BannerHasNoNulLaterMessagesDo) {
  using namespace xen_wire;
  EXPECT_EQ(Bytes(Message::kBanner).back(), '\n');
  EXPECT_EQ(Bytes(Message::kReady).back(), '\0');
  ASSERT_TRUE(Send(fd_[0], Message::kBanner, 1s).ok());
  char buf[128];
  ssize_t n = ::read(fd_[1], buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n), "xl migration receiver ready, send binary domain data.\n");
  ASSERT_TRUE(Send(fd_[0], Message::kPermissionToGo, 1s).ok());
  EXPECT_TRUE(Expect(fd_[1], Message::kPermissionToGo, 1s).ok());
  ASSERT_TRUE(SendReport(fd_[1], 0, 1s).ok());
  EXPECT_EQ(ExpectReport(fd_[0], 1s).value_or(99), 0);
  ASSERT_TRUE(SendReport(fd_[1], 3, 1s).ok());
  EXPECT_EQ(ExpectReport(fd_[0], 1s).value_or(99), 3);
}

TEST_F(SocketPair, WrongBytesEofAndSilence) {
  using namespace xen_wire;
  ASSERT_TRUE(Send(fd_[0], Message::kPermissionToGo, 1s).ok());
  EXPECT_EQ(Expect(fd_[1], Message::kReady, 1s).code(), Code::kInvalidArgument);
  EXPECT_EQ(Expect(fd_[1], Message::kReady, 50ms).code(), Code::kTimeout);
  ::close(fd_[0]);
  fd_[0] = -1;
  EXPECT_EQ(Expect(fd_[1], Message::kReady, 1s).code(), Code::kUnavailable);
  EXPECT_FALSE(ExpectReport(fd_[1], 1s).has_value());
}

// Both machines, each in its own thread, over a socketpair; "libxl" is a
// script. `receiver_unpause_ok` false: the receiver fails to unpause.
struct Outcome {
  SenderState sender;
  ReceiverState receiver;
  bool source_resumed = false, source_destroyed = false, incoming_destroyed = false;
  bool incoming_unpaused = false;
};

Outcome RunBoth(int sfd, int rfd, bool receiver_unpause_ok, bool abort_at_switchover) {
  Outcome out;
  std::thread receiver([&] {
    ReceiverHandshake m;
    auto feed = [&](RE e) { return *m.Handle(e); };
    std::vector<RA> todo =
        feed(xen_wire::Send(rfd, xen_wire::Message::kBanner, 1s).ok() ? RE::kBannerSent
                                                                      : RE::kSendFailed);
    while (!todo.empty()) {
      RA a = todo.front();
      todo.erase(todo.begin());
      std::vector<RA> more;
      switch (a) {
        case RA::kRestorePaused: {  // "libxl" reads the stream: 4 bytes
          char stream[4];
          more = feed(::read(rfd, stream, 4) == 4 ? RE::kRestored : RE::kRestoreFailed);
          break;
        }
        case RA::kSendReady:
          more = feed(xen_wire::Send(rfd, xen_wire::Message::kReady, 1s).ok() ? RE::kReadySent
                                                                              : RE::kSendFailed);
          break;
        case RA::kAwaitPermission:
          more = feed(xen_wire::Expect(rfd, xen_wire::Message::kPermissionToGo, 2s).ok()
                          ? RE::kPermission
                          : RE::kPermissionMissing);
          break;
        case RA::kRenameToFinal:
          break;
        case RA::kUnpause:
          out.incoming_unpaused = receiver_unpause_ok;
          more = feed(receiver_unpause_ok ? RE::kUnpaused : RE::kUnpauseFailed);
          break;
        case RA::kReportSuccess:
          (void)xen_wire::SendReport(rfd, 0, 1s);
          break;
        case RA::kReportFailure:
          (void)xen_wire::SendReport(rfd, 1, 1s);
          break;
        case RA::kDestroyIncoming:
          out.incoming_destroyed = true;
          break;
      }
      todo.insert(todo.end(), more.begin(), more.end());
    }
    out.receiver = m.state();
  });
  SenderHandshake m;
  auto feed = [&](SE e) { return *m.Handle(e); };
  std::vector<SA> todo =
      feed(xen_wire::Expect(sfd, xen_wire::Message::kBanner, 1s).ok() ? SE::kBannerReceived
                                                                      : SE::kBannerBad);
  while (!todo.empty() || !m.done()) {
    if (todo.empty()) {
      todo = feed(abort_at_switchover ? SE::kAbort : SE::kContinue);
      continue;
    }
    SA a = todo.front();
    todo.erase(todo.begin());
    std::vector<SA> more;
    switch (a) {
      case SA::kStartStream:
        more = feed(::write(sfd, "DATA", 4) == 4 ? SE::kStreamDone : SE::kStreamFailed);
        break;
      case SA::kAwaitReady:
        more = feed(xen_wire::Expect(sfd, xen_wire::Message::kReady, 1s).ok() ? SE::kReadyReceived
                                                                              : SE::kReadyMissing);
        break;
      case SA::kSendPermission:
        if (!xen_wire::Send(sfd, xen_wire::Message::kPermissionToGo, 1s).ok()) {
          todo.clear();
          more = feed(SE::kReportUnreadable);
        }
        break;
      case SA::kAwaitReport: {
        auto rc = xen_wire::ExpectReport(sfd, 2s);
        more = feed(!rc ? SE::kReportUnreadable : *rc == 0 ? SE::kReportOk : SE::kReportFailure);
        break;
      }
      case SA::kDestroySource:
        out.source_destroyed = true;
        break;
      case SA::kResumeSource:
        out.source_resumed = true;
        break;
      case SA::kCloseConnection:
        ::shutdown(sfd, SHUT_RDWR);
        break;
      default:
        break;
    }
    todo.insert(todo.end(), more.begin(), more.end());
  }
  out.sender = m.state();
  receiver.join();
  return out;
}

TEST_F(SocketPair, BothEndsCompleteTheHandover) {
  Outcome o = RunBoth(fd_[0], fd_[1], true, false);
  EXPECT_EQ(o.sender, SenderState::kCompleted);
  EXPECT_EQ(o.receiver, ReceiverState::kRunning);
  EXPECT_TRUE(o.source_destroyed);
  EXPECT_TRUE(o.incoming_unpaused);
  EXPECT_FALSE(o.source_resumed);
}

TEST_F(SocketPair, AbortAtSwitchoverLeavesOnlyTheSource) {
  Outcome o = RunBoth(fd_[0], fd_[1], true, true);
  EXPECT_EQ(o.sender, SenderState::kCancelled);
  EXPECT_EQ(o.receiver, ReceiverState::kFailed);
  EXPECT_TRUE(o.source_resumed);
  EXPECT_TRUE(o.incoming_destroyed);
  EXPECT_FALSE(o.incoming_unpaused);
}

TEST_F(SocketPair, ReceiverUnpauseFailureLeavesOnlyTheSource) {
  Outcome o = RunBoth(fd_[0], fd_[1], false, false);
  EXPECT_EQ(o.sender, SenderState::kFailed);
  EXPECT_EQ(o.receiver, ReceiverState::kFailed);
  EXPECT_TRUE(o.source_resumed);
  EXPECT_TRUE(o.incoming_destroyed);
  EXPECT_FALSE(o.source_destroyed);
}

}  // namespace
}  // namespace drover::hv
