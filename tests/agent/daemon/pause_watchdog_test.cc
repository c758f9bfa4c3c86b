// The pause watchdog on a real QEMU TCG guest: a migration left paused in
// pre-switchover (an orchestrator that died after start_out) is cancelled
// after the deadline and the guest runs on the source again; a Disarm in
// time keeps the watchdog's hands off.
#include "agent/daemon/pause_watchdog.h"

#include <gtest/gtest.h>

#include <thread>

#include "agent/hypervisor/qemu/qemu_hypervisor.h"
#include "tests/agent/hypervisor/test_guest.h"

namespace drover::agent {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using hv::testing::LastCounter;
using hv::testing::WaitForCounter;

class PauseWatchdogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto image = hv::testing::GuestImageDir();
    if (!image) GTEST_SKIP() << image.error().ToString();
    src_ = Open("src");
    dst_ = Open("dst");
    ASSERT_TRUE(src_ && dst_);
    std::string src_disk = scratch_.path() + "/src.img", dst_disk = scratch_.path() + "/dst.img";
    ASSERT_TRUE(hv::testing::MakeDisk(src_disk, 32).ok());
    ASSERT_TRUE(hv::testing::MakeDisk(dst_disk, 32).ok());
    hv::GuestSpec spec = hv::testing::TestGuestSpec("wd", *image, src_disk, 128);
    dst_spec_ = spec;
    dst_spec_.disks[0].path = dst_disk;
    ASSERT_TRUE(src_->Define(spec).ok());
    ASSERT_TRUE(src_->Start("wd").ok());
    auto counting = WaitForCounter(Serial(), 500, 60s);
    ASSERT_TRUE(counting.has_value()) << counting.error().ToString();
  }
  void TearDown() override {
    for (auto* d : {src_.get(), dst_.get()}) {
      if (d) (void)d->Destroy("wd");
    }
  }
  std::unique_ptr<hv::QemuHypervisor> Open(const std::string& host) {
    hv::QemuOptions o;
    o.run_root = scratch_.path() + "/" + host;
    auto d = hv::QemuHypervisor::Open(o);
    EXPECT_TRUE(d.has_value()) << d.error().ToString();
    return d ? std::move(*d) : nullptr;
  }
  std::string Serial() { return src_->DirOf("wd").serial_log(); }

  // Starts the migration and waits until QEMU paused the guest for it.
  void MigrateUntilPaused() {
    auto target = dst_->PrepareMigrationIn(dst_spec_, {});
    ASSERT_TRUE(target.has_value()) << target.error().ToString();
    ASSERT_TRUE(src_->StartMigrationOut("wd", *target, {}).ok());
    auto paused = src_->WaitForSwitchover("wd", 120s);
    ASSERT_TRUE(paused.has_value()) << paused.error().ToString();
    ASSERT_EQ(paused->phase, hv::MigrationPhase::kPreSwitchover);
  }

  hv::testing::ScratchDir scratch_;
  std::unique_ptr<hv::QemuHypervisor> src_, dst_;
  hv::GuestSpec dst_spec_;
};

TEST_F(PauseWatchdogTest, AGuestNeverContinuedRunsAgainOnTheSourceAfterTheDeadline) {
  PauseWatchdog watchdog(src_.get());
  auto armed = Clock::now();
  MigrateUntilPaused();
  watchdog.Arm("wd", 2s);
  // Still paused well inside the deadline: the watchdog waits its time.
  std::this_thread::sleep_for(1s);
  auto info = src_->Get("wd");
  ASSERT_TRUE(info.has_value());
  EXPECT_NE(info->state, hv::GuestState::kRunning);

  // After the deadline the guest runs on the source and goes on counting.
  auto before = LastCounter(Serial());
  ASSERT_TRUE(before.has_value());
  auto counting = WaitForCounter(Serial(), *before + 200, 30s);
  ASSERT_TRUE(counting.has_value()) << "the source guest was never resumed";
  EXPECT_GE(Clock::now() - armed, 2s);
  auto st = src_->QueryMigrationOut("wd");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->phase, hv::MigrationPhase::kCancelled);
  // An orchestrator that comes back late learns what happened.
  Status late = watchdog.Disarm("wd");
  EXPECT_EQ(late.code(), Code::kAborted) << late.ToString();
}

TEST_F(PauseWatchdogTest, ADisarmedWatchdogLeavesThePausedGuestToItsCaller) {
  PauseWatchdog watchdog(src_.get());
  MigrateUntilPaused();
  watchdog.Arm("wd", 500ms);
  ASSERT_TRUE(watchdog.Disarm("wd").ok());
  std::this_thread::sleep_for(1500ms);
  auto st = src_->QueryMigrationOut("wd");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->phase, hv::MigrationPhase::kPreSwitchover) << "the watchdog fired after Disarm";
  // The caller goes on: the migration completes and the destination runs.
  auto done = src_->ContinueMigrationOut("wd", 10s);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_EQ(done->phase, hv::MigrationPhase::kCompleted);
}

}  // namespace
}  // namespace drover::agent
