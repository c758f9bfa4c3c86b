// The LVM driver against real lvm2 on a loop device. These machines have no
// device-mapper in their kernel, so the tests skip here with the reason;
// they run in a lab VM with a Debian kernel (and lvm2, thin-provisioning-tools).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "agent/storage/command_runner.h"
#include "agent/storage/lvm_driver.h"

namespace drover::storage {
namespace {

// Runs a tool by argument vector: its standard output, or "" if it failed.
std::string Output(const std::vector<std::string>& argv) {
  auto r = ExecCommandRunner().Run(argv);
  return r && r->exit_code == 0 ? r->out : std::string();
}

bool Installed(const std::string& tool) {
  auto r = ExecCommandRunner().Run({tool, "--version"});
  return r.has_value() || r.error().code() != Code::kNotFound;
}

// Why real LVM cannot run here, or "" when it can.
std::string WhyNoLvm() {
  if (::geteuid() != 0) return "needs root";
  if (::access("/sys/class/misc/device-mapper", F_OK) != 0) {
    return "no device-mapper in this kernel (/sys/class/misc/device-mapper missing)";
  }
  if (!Installed("lvcreate")) return "lvm2 is not installed";
  if (!Installed("thin_delta")) {
    return "thin-provisioning-tools is not installed";
  }
  return "";
}

class LvmDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = WhyNoLvm();
    if (!why.empty()) GTEST_SKIP() << why;
    vg_ = "drovertest" + std::to_string(::getpid());
    img_ = "/tmp/" + vg_ + ".img";
    Output({"truncate", "-s", "512M", img_});
    loop_ = Output({"losetup", "-f", "--show", img_});
    while (!loop_.empty() && loop_.back() == '\n') loop_.pop_back();
    ASSERT_FALSE(loop_.empty());
    auto vg = ExecCommandRunner().Run({"vgcreate", "-q", vg_, loop_});
    ASSERT_TRUE(vg && vg->exit_code == 0) << (vg ? vg->err : vg.error().ToString());
    auto pool =
        ExecCommandRunner().Run({"lvcreate", "-q", "-y", "-L", "256m", "-T", vg_ + "/pool0"});
    ASSERT_TRUE(pool && pool->exit_code == 0) << (pool ? pool->err : pool.error().ToString());
  }
  void TearDown() override {
    if (vg_.empty()) return;
    Output({"vgremove", "-q", "-f", vg_});
    if (!loop_.empty()) Output({"losetup", "-d", loop_});
    ::unlink(img_.c_str());
  }
  std::string vg_, img_, loop_;
  ExecCommandRunner run_;
};

TEST_F(LvmDeviceTest, ThinSnapshotsReportTheBlocksWrittenBetweenThem) {
  LvmDriver lvm(run_);
  std::string pool = vg_ + "/pool0";
  ASSERT_TRUE(lvm.CreateVolume(pool, "vol", 64 << 20).ok());
  ASSERT_TRUE(lvm.CreateSnapshot(pool, "vol", "s1", 0).ok());
  auto fd = lvm.Open(pool, "vol", OpenMode::kReadWrite);
  ASSERT_TRUE(fd);
  std::vector<char> block(4096, 'x');
  ASSERT_EQ(::pwrite(*fd, block.data(), block.size(), 10 << 20), 4096);
  ::fsync(*fd);
  ::close(*fd);
  ASSERT_TRUE(lvm.CreateSnapshot(pool, "vol", "s2", 0).ok());
  auto ranges = lvm.ChangedRanges(pool, "s1", "s2");
  ASSERT_TRUE(ranges) << ranges.error().ToString();
  ASSERT_TRUE(ranges->has_value());
  ASSERT_EQ((*ranges)->size(), 1u);
  EXPECT_LE((**ranges)[0].offset, uint64_t{10 << 20});
  EXPECT_GE((**ranges)[0].offset + (**ranges)[0].length, uint64_t{(10 << 20) + 4096});
}

TEST_F(LvmDeviceTest, ClassicSnapshotOverflowIsReportedInvalid) {
  LvmDriver lvm(run_);
  ASSERT_TRUE(lvm.CreateVolume(vg_, "classic", 32 << 20).ok());
  ASSERT_TRUE(lvm.CreateSnapshot(vg_, "classic", "snap", 4 << 20).ok());
  auto fd = lvm.Open(vg_, "classic", OpenMode::kReadWrite);
  ASSERT_TRUE(fd);
  std::vector<char> mib(1 << 20, 'y');
  for (int i = 0; i < 16; ++i) (void)::pwrite(*fd, mib.data(), mib.size(), uint64_t(i) << 20);
  ::fsync(*fd);
  ::close(*fd);
  auto snap = lvm.Open(vg_, "snap", OpenMode::kRead);
  ASSERT_FALSE(snap);
  EXPECT_NE(snap.error().message().find("invalid"), std::string::npos);
}

}  // namespace
}  // namespace drover::storage
