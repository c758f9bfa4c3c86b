// XenHypervisor's migration threads (XenSender, XenReceiver) end to end over
// a real socketpair, with a FakeXen on each "host": the handover, abort at
// pre-switchover, a stream or restore failure, a receiver that cannot
// unpause, and a link lost after permission to go (ambiguous: neither copy
// is resumed by the driver). Also life cycle and statistics on the fake.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/hypervisor/xen/xen_hypervisor.h"
#include "tests/agent/hypervisor/fake_xen.h"
#include "tests/agent/hypervisor/test_guest.h"

namespace drover::hv {
namespace {

using namespace std::chrono_literals;
using testing::FakeXen;

class XenMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
    src_ = Open("src", &src_xen_);
    dst_ = Open("dst", &dst_xen_);
    spec_.name = "db1";
    spec_.memory_mib = 256;
    spec_.kernel = "/boot/vmlinuz";
    spec_.disks.push_back({"/dev/vg0/db1", "raw", "none", false});
    ASSERT_TRUE(src_->Define(spec_).ok());
    ASSERT_TRUE(src_->Start("db1").ok());
  }
  void TearDown() override {
    src_.reset();
    dst_.reset();
    for (int fd : fds_) ::close(fd);
  }
  std::unique_ptr<XenHypervisor> Open(const std::string& host, FakeXen** fake) {
    auto owned = std::make_unique<FakeXen>();
    *fake = owned.get();
    XenOptions o;
    o.config_dir = scratch_.path() + "/" + host;
    o.handshake_timeout = 5s;
    o.permission_timeout = 5s;
    auto hv = XenHypervisor::Open(o, std::move(owned));
    EXPECT_TRUE(hv.has_value());
    return std::move(*hv);
  }
  // Prepare, start, and wait for pre-switchover.
  MigrationStatus ToSwitchover() {
    IncomingParams in;
    in.fd = fds_[1];
    EXPECT_TRUE(dst_->PrepareMigrationIn(spec_, in).has_value());
    MigrationTarget t;
    t.fd = fds_[0];
    EXPECT_TRUE(src_->StartMigrationOut("db1", t, {}).ok());
    auto st = src_->WaitForSwitchover("db1", 10s);
    EXPECT_TRUE(st.has_value()) << st.error().ToString();
    return st ? *st : MigrationStatus{};
  }

  testing::ScratchDir scratch_;
  int fds_[2] = {-1, -1};
  FakeXen* src_xen_ = nullptr;
  FakeXen* dst_xen_ = nullptr;
  std::unique_ptr<XenHypervisor> src_, dst_;
  GuestSpec spec_;
};

TEST_F(XenMigrationTest, HandoverRenamesUnpausesAndDestroysSource) {
  MigrationStatus pre = ToSwitchover();
  ASSERT_EQ(pre.phase, MigrationPhase::kPreSwitchover) << pre.error;
  EXPECT_EQ(src_->Get("db1")->state, GuestState::kMigrated) << "suspended at pre-switchover";
  EXPECT_EQ(dst_->Get("db1")->state, GuestState::kIncoming);
  ASSERT_TRUE(dst_xen_->ByName("db1--incoming").has_value());
  EXPECT_TRUE(dst_xen_->ByName("db1--incoming")->paused);

  auto done = src_->ContinueMigrationOut("db1", 10s);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_EQ(done->phase, MigrationPhase::kCompleted) << done->error;
  EXPECT_TRUE(src_->ContinueMigrationOut("db1", 1s).has_value()) << "a repeat is fine";
  auto in = dst_->WaitMigrationIn("db1", 10s);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->phase, MigrationPhase::kCompleted);
  EXPECT_EQ(dst_->Get("db1")->state, GuestState::kRunning);
  EXPECT_TRUE(dst_->Resume("db1").ok()) << "Resume after arrival is a no-op";
  EXPECT_TRUE(src_xen_->Domains().empty()) << "the source copy is destroyed";
  EXPECT_EQ(src_->Get("db1")->state, GuestState::kShutoff);
  EXPECT_EQ(src_->AbortMigrationOut("db1", 1s).code(), Code::kInvalidArgument);
}

TEST_F(XenMigrationTest, AbortAtSwitchoverResumesSourceAndDropsIncoming) {
  ASSERT_EQ(ToSwitchover().phase, MigrationPhase::kPreSwitchover);
  ASSERT_TRUE(src_->AbortMigrationOut("db1", 10s).ok());
  EXPECT_TRUE(src_->AbortMigrationOut("db1", 1s).ok()) << "idempotent";
  EXPECT_EQ(src_->QueryMigrationOut("db1")->phase, MigrationPhase::kCancelled);
  EXPECT_EQ(src_->Get("db1")->state, GuestState::kRunning);
  auto in = dst_->WaitMigrationIn("db1", 10s);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->phase, MigrationPhase::kFailed);
  EXPECT_TRUE(dst_xen_->Domains().empty()) << "the incoming copy is destroyed";
  ASSERT_TRUE(dst_->AbortMigrationIn("db1").ok());
  EXPECT_EQ(dst_->Get("db1").error().code(), Code::kNotFound);
}

TEST_F(XenMigrationTest, StreamFailureLeavesSourceRunning) {
  src_xen_->fail_suspend = true;
  MigrationStatus st = ToSwitchover();
  EXPECT_EQ(st.phase, MigrationPhase::kFailed);
  EXPECT_NE(st.error.find("suspend failed"), std::string::npos) << st.error;
  EXPECT_EQ(src_->Get("db1")->state, GuestState::kRunning);
  auto in = dst_->WaitMigrationIn("db1", 10s);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->phase, MigrationPhase::kFailed);
  EXPECT_TRUE(dst_xen_->Domains().empty());
}

TEST_F(XenMigrationTest, RestoreFailureResumesSource) {
  dst_xen_->fail_restore = true;
  MigrationStatus st = ToSwitchover();
  EXPECT_EQ(st.phase, MigrationPhase::kFailed);
  EXPECT_EQ(src_->Get("db1")->state, GuestState::kRunning) << "resumed after suspend";
  EXPECT_TRUE(dst_xen_->Domains().empty());
}

TEST_F(XenMigrationTest, ReceiverUnpauseFailureRollsBackToSource) {
  dst_xen_->fail_unpause = true;
  ASSERT_EQ(ToSwitchover().phase, MigrationPhase::kPreSwitchover);
  auto done = src_->ContinueMigrationOut("db1", 10s);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->phase, MigrationPhase::kFailed);
  EXPECT_FALSE(done->ambiguous);
  auto back = src_xen_->ByName("db1");
  ASSERT_TRUE(back.has_value()) << "renamed back from db1--migratedaway";
  EXPECT_TRUE(back->running);
  EXPECT_TRUE(dst_xen_->Domains().empty()) << "the receiver destroyed its copy";
}

TEST_F(XenMigrationTest, LinkLostAfterPermissionIsAmbiguousAndResumesNothing) {
  // The receiver gets permission, then the link dies before its report.
  dst_xen_->on_unpause = [this] { ::shutdown(fds_[1], SHUT_RDWR); };
  ASSERT_EQ(ToSwitchover().phase, MigrationPhase::kPreSwitchover);
  auto done = src_->ContinueMigrationOut("db1", 10s);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->phase, MigrationPhase::kFailed);
  EXPECT_TRUE(done->ambiguous);
  auto source = src_xen_->ByName("db1--migratedaway");
  ASSERT_TRUE(source.has_value()) << "the source copy is left alone";
  EXPECT_TRUE(source->suspended);
  EXPECT_FALSE(source->running);
  EXPECT_EQ(src_->Get("db1")->state, GuestState::kMigrated);
  EXPECT_EQ(src_->AbortMigrationOut("db1", 1s).code(), Code::kInvalidArgument);
}

TEST_F(XenMigrationTest, DriverGoingAwayAtSwitchoverAbortsSafely) {
  ASSERT_EQ(ToSwitchover().phase, MigrationPhase::kPreSwitchover);
  FakeXen* src_xen = src_xen_;
  src_.reset();  // joins the sender after resuming the source
  dst_.reset();
  (void)src_xen;
  // The fakes died with their drivers; what matters is no hang and no crash.
  SUCCEED();
}

TEST_F(XenMigrationTest, LifeCycleAndCloneOnFake) {
  EXPECT_TRUE(src_->Start("db1").ok()) << "Start of a running guest is a no-op";
  ASSERT_TRUE(src_->Pause("db1").ok());
  EXPECT_EQ(src_->Get("db1")->state, GuestState::kPaused);
  ASSERT_TRUE(src_->Resume("db1").ok());
  auto stats = src_->Stats("db1");
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->memory_bytes, 256u << 20);
  auto list = src_->List();
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, static_cast<int64_t>(src_xen_->ByName("db1")->domid));
  auto clone = src_->Clone("db1", "db2", {"/dev/vg0/db2"});
  ASSERT_TRUE(clone.has_value()) << clone.error().ToString();
  EXPECT_EQ(src_->Get("db2")->state, GuestState::kShutoff);
  EXPECT_EQ(src_->Undefine("db1").code(), Code::kInvalidArgument) << "still runs";
  ASSERT_TRUE(src_->Destroy("db1").ok());
  EXPECT_TRUE(src_->Destroy("db1").ok());
  ASSERT_TRUE(src_->Undefine("db1").ok());
  EXPECT_EQ(src_->Get("db1").error().code(), Code::kNotFound);
}

TEST(XenStats, SumsBlkbackCounters) {
  testing::ScratchDir dir;
  auto put = [&](const std::string& dev, int rd_sect, int wr_sect, int rd_req, int wr_req) {
    auto s = std::filesystem::path(dir.path()) / dev / "statistics";
    std::filesystem::create_directories(s);
    std::ofstream(s / "rd_sect") << rd_sect << "\n";
    std::ofstream(s / "wr_sect") << wr_sect << "\n";
    std::ofstream(s / "rd_req") << rd_req << "\n";
    std::ofstream(s / "wr_req") << wr_req << "\n";
  };
  put("vbd-7-51712", 8, 16, 1, 2);
  put("vbd-7-51728", 2, 4, 3, 4);
  put("vbd-17-51712", 1000, 1000, 1000, 1000);  // another domain
  GuestStats st;
  AddBlkbackStats(dir.path(), 7, &st);
  EXPECT_EQ(st.disk_read_bytes, 10u * 512);
  EXPECT_EQ(st.disk_write_bytes, 20u * 512);
  EXPECT_EQ(st.disk_read_ops, 4u);
  EXPECT_EQ(st.disk_write_ops, 6u);
  GuestStats none;
  AddBlkbackStats(dir.path() + "/missing", 7, &none);
  EXPECT_EQ(none.disk_write_bytes, 0u);
}

}  // namespace
}  // namespace drover::hv
