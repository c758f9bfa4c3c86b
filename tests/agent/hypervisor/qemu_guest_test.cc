// Real QEMU (TCG) guests through QemuHypervisor: boot, count, pause, resume,
// stop, adoption by a new driver object. Skipped, with the reason, when the
// test guest cannot be built.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "agent/hypervisor/qemu/qemu_hypervisor.h"
#include "agent/hypervisor/registry.h"
#include "tests/agent/hypervisor/test_guest.h"
#include "tests/guest/disk_check.h"

namespace drover::hv {
namespace {

using namespace std::chrono_literals;
using testing::LastCounter;
using testing::WaitForCounter;

class QemuGuestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto image = testing::GuestImageDir();
    if (!image) GTEST_SKIP() << image.error().ToString();
    image_ = *image;
    ASSERT_FALSE(scratch_.path().empty());
    hv_ = OpenDriver();
  }
  void TearDown() override {
    if (!hv_) return;
    auto guests = hv_->List();
    if (guests) {
      for (const auto& g : *guests) (void)hv_->Destroy(g.name);
    }
  }
  std::unique_ptr<QemuHypervisor> OpenDriver() {
    QemuOptions options;
    options.run_root = scratch_.path() + "/run";
    auto hv = QemuHypervisor::Open(options);
    EXPECT_TRUE(hv.has_value()) << hv.error().ToString();
    return hv ? std::move(*hv) : nullptr;
  }
  GuestSpec NewGuest(const std::string& name) {
    std::string disk = scratch_.path() + "/" + name + ".img";
    EXPECT_TRUE(testing::MakeDisk(disk, 32).ok());
    return testing::TestGuestSpec(name, image_, disk, 96);
  }
  std::string Serial(const std::string& name) { return hv_->DirOf(name).serial_log(); }

  std::string image_;
  testing::ScratchDir scratch_;
  std::unique_ptr<QemuHypervisor> hv_;
};

TEST_F(QemuGuestTest, BootsCountsPausesResumesStops) {
  GuestSpec spec = NewGuest("g1");
  ASSERT_TRUE(hv_->Define(spec).ok());
  ASSERT_TRUE(hv_->Define(spec).ok()) << "Define must be idempotent";
  GuestSpec other = spec;
  other.memory_mib = 64;
  EXPECT_EQ(hv_->Define(other).code(), Code::kAlreadyExists);

  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(hv_->Start("g1").ok());
  ASSERT_TRUE(hv_->Start("g1").ok()) << "Start must be idempotent";
  auto first = WaitForCounter(Serial("g1"), 1, 30s);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  auto boot_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  std::printf("[ figures  ] boot to first counter: %lld ms\n", static_cast<long long>(boot_ms));

  auto list = hv_->List();
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, GuestState::kRunning);
  EXPECT_EQ((*list)[0].memory_mib, 96u);
  EXPECT_GT((*list)[0].id, 1);

  auto rising = WaitForCounter(Serial("g1"), *first + 1000, 20s);
  ASSERT_TRUE(rising.has_value()) << rising.error().ToString();
  auto stats = hv_->Stats("g1");
  ASSERT_TRUE(stats.has_value()) << stats.error().ToString();
  EXPECT_GT(stats->disk_write_bytes, 1000u * 4096u);
  EXPECT_GT(stats->disk_write_ops, 1000u);
  EXPECT_GT(stats->cpu_seconds, 0.0);
  EXPECT_EQ(stats->memory_bytes, 96u << 20);
  EXPECT_GT(stats->memory_used_bytes, 0u);

  ASSERT_TRUE(hv_->Pause("g1").ok());
  EXPECT_EQ(hv_->Get("g1")->state, GuestState::kPaused);
  std::this_thread::sleep_for(300ms);
  auto paused_at = LastCounter(Serial("g1"));
  std::this_thread::sleep_for(700ms);
  EXPECT_EQ(LastCounter(Serial("g1")), paused_at) << "a paused guest must not count";
  ASSERT_TRUE(hv_->Resume("g1").ok());
  ASSERT_TRUE(hv_->Resume("g1").ok()) << "Resume must be idempotent";
  ASSERT_TRUE(WaitForCounter(Serial("g1"), *paused_at + 500, 20s).has_value());

  ASSERT_TRUE(hv_->Stop("g1", 500ms).ok());
  EXPECT_EQ(hv_->Get("g1")->state, GuestState::kShutoff);
  ASSERT_TRUE(hv_->Destroy("g1").ok()) << "Destroy of a stopped guest is a no-op";
  auto last = LastCounter(Serial("g1"));
  auto check = guest::CheckImageFile(spec.disks[0].path, last);
  ASSERT_TRUE(check.has_value()) << check.error().ToString();
  EXPECT_TRUE(check->ok()) << check->Summary();
  EXPECT_GE(check->max_counter, *last);

  ASSERT_TRUE(hv_->Undefine("g1").ok());
  EXPECT_EQ(hv_->Get("g1").error().code(), Code::kNotFound);
  EXPECT_TRUE(hv_->Undefine("g1").ok());
}

TEST_F(QemuGuestTest, NewDriverAdoptsRunningGuest) {
  GuestSpec spec = NewGuest("adopt");
  ASSERT_TRUE(hv_->Define(spec).ok());
  ASSERT_TRUE(hv_->Start("adopt").ok());
  auto before = WaitForCounter(Serial("adopt"), 1, 30s);
  ASSERT_TRUE(before.has_value()) << before.error().ToString();
  int64_t pid = hv_->Get("adopt")->id;

  hv_.reset();  // the agent goes away; the guest must not
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(
      WaitForCounter(scratch_.path() + "/run/adopt/serial.log", *before + 200, 20s).has_value());

  hv_ = OpenDriver();
  ASSERT_TRUE(hv_);
  ASSERT_EQ(hv_->adopted(), std::vector<std::string>{"adopt"});
  auto info = hv_->Get("adopt");
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_EQ(info->state, GuestState::kRunning);
  EXPECT_EQ(info->id, pid);
  ASSERT_TRUE(hv_->Pause("adopt").ok()) << "QMP must work after adoption";
  auto raw = hv_->ExecuteQmp("adopt", "query-status");
  ASSERT_TRUE(raw.has_value()) << raw.error().ToString();
  EXPECT_EQ((*raw)["status"], "paused");
  ASSERT_TRUE(hv_->Resume("adopt").ok());
  ASSERT_TRUE(hv_->Destroy("adopt").ok());
  EXPECT_EQ(hv_->Get("adopt")->state, GuestState::kShutoff);
}

TEST_F(QemuGuestTest, CrashedGuestIsReported) {
  GuestSpec spec = NewGuest("crash");
  ASSERT_TRUE(hv_->Define(spec).ok());
  ASSERT_TRUE(hv_->Start("crash").ok());
  int64_t pid = hv_->Get("crash")->id;
  ASSERT_GT(pid, 1);
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(hv_->Get("crash")->state, GuestState::kCrashed);
  EXPECT_EQ(hv_->Pause("crash").code(), Code::kInvalidArgument);
  ASSERT_TRUE(hv_->Destroy("crash").ok());
  EXPECT_EQ(hv_->Get("crash")->state, GuestState::kShutoff);
}

TEST_F(QemuGuestTest, CloneBootsUnderNewNameBesideOriginal) {
  GuestSpec spec = NewGuest("orig");
  spec.nics.push_back(NicSpec{"52:54:00:aa:bb:cc", ""});
  ASSERT_TRUE(hv_->Define(spec).ok());
  ASSERT_TRUE(hv_->Start("orig").ok());
  ASSERT_TRUE(WaitForCounter(Serial("orig"), 500, 30s).has_value());
  // A crash-consistent copy of the running original's disk stands in for a
  // synced snapshot.
  std::string disk = scratch_.path() + "/copy.img";
  ASSERT_TRUE(testing::MakeDisk(disk, 32).ok());
  ASSERT_TRUE(hv_->Pause("orig").ok());
  ASSERT_TRUE(testing::CopyInPlace(spec.disks[0].path, disk).ok());
  auto at_copy = guest::CheckImageFile(disk, std::nullopt);
  ASSERT_TRUE(hv_->Resume("orig").ok());
  ASSERT_TRUE(at_copy.has_value());
  EXPECT_TRUE(at_copy->ok()) << at_copy->Summary();

  auto clone = hv_->Clone("orig", "orig-clone", {disk});
  ASSERT_TRUE(clone.has_value()) << clone.error().ToString();
  EXPECT_NE(clone->nics[0].mac, spec.nics[0].mac);
  ASSERT_TRUE(hv_->Start("orig-clone").ok());
  auto first = WaitForCounter(Serial("orig-clone"), at_copy->max_counter + 1, 30s);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ(hv_->Get("orig")->state, GuestState::kRunning);
  EXPECT_EQ(hv_->Get("orig-clone")->state, GuestState::kRunning);
  EXPECT_EQ(hv_->Definition("orig")->disks[0].path, spec.disks[0].path);
}

TEST(QemuRegistry, OpensQemuByNameAndRefusesUnknown) {
  testing::ScratchDir scratch;
  HypervisorOptions options;
  options.run_root = scratch.path() + "/run";
  auto hv = OpenHypervisor("qemu", options);
  ASSERT_TRUE(hv.has_value()) << hv.error().ToString();
  EXPECT_EQ((*hv)->kind(), "qemu");
  EXPECT_TRUE((*hv)->List()->empty());
  EXPECT_EQ(OpenHypervisor("vmware", options).error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace drover::hv
