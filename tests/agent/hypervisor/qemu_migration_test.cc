// Live migration of a writing QEMU (TCG) guest between two drivers (two
// "hosts" on one machine, loopback), with the pause window of DESIGN
// "Cutover" steps 3-5: memory pre-copy, source paused at pre-switchover, the
// final disk round (here: a copy of the quiescent disk into the volume the
// destination already has open), continue, resume on the destination.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "agent/hypervisor/qemu/qemu_hypervisor.h"
#include "tests/agent/hypervisor/test_guest.h"
#include "tests/guest/disk_check.h"

namespace drover::hv {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::FirstCounter;
using testing::LastCounter;
using testing::WaitForCounter;

long long MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

class QemuMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto image = testing::GuestImageDir();
    if (!image) GTEST_SKIP() << image.error().ToString();
    ASSERT_FALSE(scratch_.path().empty());
    src_ = Open("src");
    dst_ = Open("dst");
    ASSERT_TRUE(src_ && dst_);
    src_disk_ = scratch_.path() + "/src.img";
    dst_disk_ = scratch_.path() + "/dst.img";
    ASSERT_TRUE(testing::MakeDisk(src_disk_, 32).ok());
    ASSERT_TRUE(testing::MakeDisk(dst_disk_, 32).ok());
    spec_ = testing::TestGuestSpec("mig", *image, src_disk_, 128);
    dst_spec_ = spec_;
    dst_spec_.disks[0].path = dst_disk_;
    ASSERT_TRUE(src_->Define(spec_).ok());
    ASSERT_TRUE(src_->Start("mig").ok());
    auto counting = WaitForCounter(SrcSerial(), 2000, 30s);
    ASSERT_TRUE(counting.has_value()) << counting.error().ToString();
  }
  void TearDown() override {
    for (auto* hv : {src_.get(), dst_.get()}) {
      if (hv) (void)hv->Destroy("mig");
    }
  }
  std::unique_ptr<QemuHypervisor> Open(const std::string& host) {
    QemuOptions options;
    options.run_root = scratch_.path() + "/" + host;
    auto hv = QemuHypervisor::Open(options);
    EXPECT_TRUE(hv.has_value()) << hv.error().ToString();
    return hv ? std::move(*hv) : nullptr;
  }
  std::string SrcSerial() { return src_->DirOf("mig").serial_log(); }
  // What a stalled destination guest leaves to explain it: the driver's
  // view of it (a QEMU that died reads "crashed") and QEMU's own stderr.
  std::string DstWitness() {
    auto guest = dst_->Get("mig");
    std::string out = "destination guest: ";
    out += guest ? std::string(StateName(guest->state)) : guest.error().ToString();
    std::ifstream log(dst_->DirOf("mig").qemu_log());
    std::string line;
    while (std::getline(log, line)) out += "\n  qemu.log | " + line;
    // Which stalled: the guest's disk writes (then: are they stuck in QEMU or
    // in the host?), its vCPU, or only its console?
    for (int i = 0; i < 3; ++i) {
      if (i > 0) std::this_thread::sleep_for(500ms);
      auto stats = dst_->Stats("mig");
      auto cpus = dst_->ExecuteQmp("mig", "human-monitor-command", {{"command-line", "info cpus"}});
      out += "\n  sample " + std::to_string(i) + ": disk writes done " +
             (stats ? std::to_string(stats->disk_write_ops) : stats.error().ToString()) +
             ", vcpu " +
             (cpus && cpus->is_string() ? Trimmed(cpus->get<std::string>()) : std::string("?"));
      out += "    qemu threads:" + ThreadStates(dst_->Get("mig") ? dst_->Get("mig")->id : -1);
    }
    auto on_disk = guest::CheckImageFile(dst_disk_, std::nullopt);
    out += "\n  highest counter on the destination disk: " +
           (on_disk ? std::to_string(on_disk->max_counter) : on_disk.error().ToString());
    return out;
  }
  static std::string Trimmed(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
  }
  // name:state of every thread of `pid` (debug-threads=on names them), with
  // the kernel wait channel of those not running.
  static std::string ThreadStates(int64_t pid) {
    if (pid <= 1) return " (no process)";
    std::string out;
    std::error_code ec;
    std::string base = "/proc/" + std::to_string(pid) + "/task";
    for (const auto& t : std::filesystem::directory_iterator(base, ec)) {
      std::ifstream stat(t.path() / "stat");
      std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
      size_t open = text.find('('), close = text.rfind(')');
      if (open == std::string::npos || close == std::string::npos || close + 2 >= text.size()) {
        continue;
      }
      char state = text[close + 2];
      out += " " + text.substr(open + 1, close - open - 1) + ":" + state;
      if (state == 'D') {
        std::ifstream wchan(t.path() / "wchan");
        std::string w;
        std::getline(wchan, w);
        out += "(" + w + ")";
      }
    }
    return out;
  }
  std::string DstSerial() { return dst_->DirOf("mig").serial_log(); }

  // Prepares the destination and runs pre-copy until the source pauses.
  MigrationStatus MigrateToSwitchover() {
    auto target = dst_->PrepareMigrationIn(dst_spec_, IncomingParams{});
    EXPECT_TRUE(target.has_value()) << target.error().ToString();
    if (!target) return {};
    EXPECT_EQ(target->uri.rfind("tcp:127.0.0.1:", 0), 0u) << target->uri;
    auto again = dst_->PrepareMigrationIn(dst_spec_, IncomingParams{});
    EXPECT_TRUE(again.has_value() && again->uri == target->uri) << "Prepare must be idempotent";
    EXPECT_EQ(dst_->Get("mig")->state, GuestState::kIncoming);
    MigrationParams params;
    params.max_bandwidth_bytes_per_s = 1ULL << 30;
    params.downtime_limit_ms = 100;
    Status started = src_->StartMigrationOut("mig", *target, params);
    EXPECT_TRUE(started.ok()) << started.ToString();
    EXPECT_EQ(src_->StartMigrationOut("mig", *target, params).code(), Code::kInvalidArgument);
    auto st = src_->WaitForSwitchover("mig", 60s);
    EXPECT_TRUE(st.has_value()) << st.error().ToString();
    return st ? *st : MigrationStatus{};
  }

  testing::ScratchDir scratch_;
  std::unique_ptr<QemuHypervisor> src_, dst_;
  std::string src_disk_, dst_disk_;
  GuestSpec spec_, dst_spec_;
};

TEST_F(QemuMigrationTest, LiveMigrationKeepsCountingOnDestination) {
  auto t0 = Clock::now();
  MigrationStatus pre = MigrateToSwitchover();
  ASSERT_EQ(pre.phase, MigrationPhase::kPreSwitchover);
  auto pause_start = Clock::now();
  EXPECT_EQ(src_->Get("mig")->state, GuestState::kPaused);
  EXPECT_GT(pre.transferred_bytes, 0u);

  // Step 4, the final disk round: the source disk is quiescent now.
  std::this_thread::sleep_for(100ms);  // let the console drain what was written
  auto src_last = LastCounter(SrcSerial());
  ASSERT_TRUE(src_last.has_value());
  ASSERT_TRUE(testing::CopyInPlace(src_disk_, dst_disk_).ok());
  auto src_check = guest::CheckImageFile(src_disk_, src_last);
  ASSERT_TRUE(src_check.has_value());
  EXPECT_TRUE(src_check->ok()) << src_check->Summary();

  auto continue_at = Clock::now();
  auto done = src_->ContinueMigrationOut("mig", 60s);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  ASSERT_EQ(done->phase, MigrationPhase::kCompleted) << done->error;
  // Completed is final on the source: QEMU's figures are in (its downtime
  // covers the pause window) and the guest there is postmigrate.
  EXPECT_GT(done->downtime_ms, 0u);
  EXPECT_GT(done->total_ms, 0u);
  EXPECT_EQ(src_->Get("mig")->state, GuestState::kMigrated);
  auto arrived = dst_->WaitMigrationIn("mig", 30s);
  ASSERT_TRUE(arrived.has_value()) << arrived.error().ToString();
  EXPECT_EQ(arrived->phase, MigrationPhase::kCompleted);
  EXPECT_EQ(dst_->Get("mig")->state, GuestState::kPaused) << "held until Resume";
  ASSERT_TRUE(dst_->Resume("mig").ok());
  long long pause_ms = MsSince(pause_start);
  EXPECT_EQ(src_->Get("mig")->state, GuestState::kMigrated);
  EXPECT_EQ(src_->AbortMigrationOut("mig", 5s).code(), Code::kInvalidArgument);
  std::printf(
      "[ figures  ] migration total %lld ms, pause window %lld ms of which "
      "continue-to-resume %lld ms (the rest: 100 ms console drain, 32 MiB disk copy "
      "and check); qemu downtime %llu ms, %llu bytes of RAM sent\n",
      MsSince(t0), pause_ms, MsSince(continue_at),
      static_cast<unsigned long long>(done->downtime_ms),
      static_cast<unsigned long long>(done->transferred_bytes));

  // The destination goes on from where the source stopped: no reset.
  auto dst_now = WaitForCounter(DstSerial(), *src_last + 1000, 30s);
  ASSERT_TRUE(dst_now.has_value()) << dst_now.error().ToString() << "\n" << DstWitness();
  auto dst_first = FirstCounter(DstSerial());
  ASSERT_TRUE(dst_first.has_value());
  EXPECT_GT(*dst_first, *src_last);
  EXPECT_LT(*dst_first, *src_last + 1000) << "the counter jumped: was the guest rebooted?";
  ASSERT_TRUE(src_->Destroy("mig").ok());
  ASSERT_TRUE(src_->Undefine("mig").ok());

  ASSERT_TRUE(dst_->Destroy("mig").ok());
  auto dst_last = LastCounter(DstSerial());
  auto check = guest::CheckImageFile(dst_disk_, dst_last);
  ASSERT_TRUE(check.has_value()) << check.error().ToString();
  EXPECT_TRUE(check->ok()) << check->Summary();
  EXPECT_GE(check->max_counter, *dst_last);
}

TEST_F(QemuMigrationTest, AbortAtPreSwitchoverResumesSource) {
  MigrationStatus pre = MigrateToSwitchover();
  ASSERT_EQ(pre.phase, MigrationPhase::kPreSwitchover);
  std::this_thread::sleep_for(200ms);
  auto paused_at = LastCounter(SrcSerial());
  ASSERT_TRUE(paused_at.has_value());

  Status aborted = src_->AbortMigrationOut("mig", 30s);
  ASSERT_TRUE(aborted.ok()) << aborted.ToString();
  EXPECT_TRUE(src_->AbortMigrationOut("mig", 5s).ok()) << "Abort must be idempotent";
  EXPECT_EQ(src_->Get("mig")->state, GuestState::kRunning);
  auto st = src_->QueryMigrationOut("mig");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->phase, MigrationPhase::kCancelled);
  ASSERT_TRUE(WaitForCounter(SrcSerial(), *paused_at + 1000, 30s).has_value())
      << "the source must keep counting";

  // The destination saw its stream end: it failed and is cleaned up.
  auto in = dst_->WaitMigrationIn("mig", 30s);
  ASSERT_TRUE(in.has_value()) << in.error().ToString();
  EXPECT_EQ(in->phase, MigrationPhase::kFailed);
  ASSERT_TRUE(dst_->AbortMigrationIn("mig").ok());
  EXPECT_EQ(dst_->Get("mig").error().code(), Code::kNotFound);

  // A second attempt after the abort works.
  MigrationStatus again = MigrateToSwitchover();
  EXPECT_EQ(again.phase, MigrationPhase::kPreSwitchover);
  ASSERT_TRUE(src_->AbortMigrationOut("mig", 30s).ok());
  ASSERT_TRUE(dst_->AbortMigrationIn("mig").ok());

  ASSERT_TRUE(src_->Destroy("mig").ok());
  auto last = LastCounter(SrcSerial());
  auto check = guest::CheckImageFile(src_disk_, last);
  ASSERT_TRUE(check.has_value());
  EXPECT_TRUE(check->ok()) << check->Summary();
}

TEST_F(QemuMigrationTest, DestinationKilledDuringPrecopyLeavesSourceRunning) {
  auto target = dst_->PrepareMigrationIn(dst_spec_, IncomingParams{});
  ASSERT_TRUE(target.has_value()) << target.error().ToString();
  MigrationParams slow;
  slow.max_bandwidth_bytes_per_s = 8 << 20;  // 128 MiB at 8 MiB/s: pre-copy lasts a while
  ASSERT_TRUE(src_->StartMigrationOut("mig", *target, slow).ok());
  std::this_thread::sleep_for(500ms);
  ASSERT_EQ(src_->QueryMigrationOut("mig")->phase, MigrationPhase::kActive);
  ASSERT_TRUE(dst_->AbortMigrationIn("mig").ok());  // the destination goes away

  auto st = src_->WaitForSwitchover("mig", 30s);
  ASSERT_TRUE(st.has_value()) << st.error().ToString();
  EXPECT_EQ(st->phase, MigrationPhase::kFailed);
  ASSERT_TRUE(src_->AbortMigrationOut("mig", 10s).ok());
  EXPECT_EQ(src_->Get("mig")->state, GuestState::kRunning);
  auto now = LastCounter(SrcSerial());
  ASSERT_TRUE(WaitForCounter(SrcSerial(), *now + 500, 30s).has_value());
}

}  // namespace
}  // namespace drover::hv
