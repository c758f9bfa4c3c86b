// The Xen driver's libxenlight backend: configuration translation down to
// libxl's own libxl_domain_config (no Xen needed), and runtime tests that need
// a Xen dom0 — skipped, with the reason, when /proc/xen is absent.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/hypervisor/registry.h"
#include "agent/hypervisor/xen/libxl_api.h"
#include "agent/hypervisor/xen/xen_domain_spec.h"
#include "agent/hypervisor/xen/xen_hypervisor.h"
#include "tests/agent/hypervisor/test_guest.h"

namespace drover::hv {
namespace {

using namespace std::chrono_literals;

bool IsVolume(const std::string& path) { return path.rfind("/dev/", 0) == 0; }

GuestSpec WebSpec() {
  GuestSpec s;
  s.name = "web1";
  s.vcpus = 2;
  s.memory_mib = 512;
  s.kernel = "/boot/vmlinuz";
  s.initrd = "/boot/initrd.img";
  s.cmdline = "root=/dev/xvda ro";
  s.disks.push_back({"/dev/vg0/web1", "raw", "none", false});
  s.disks.push_back({"/pool/web1-data.img", "raw", "none", true});
  s.nics.push_back({"00:16:3e:01:02:03", "xenbr1"});
  s.nics.push_back({"", ""});
  return s;
}

TEST(XenDomainSpec, TranslatesGuestSpec) {
  auto x = ToXenDomainSpec(WebSpec(), XenGuestType::kPvh, &IsVolume);
  ASSERT_TRUE(x.has_value()) << x.error().ToString();
  EXPECT_EQ(x->memory_kib, 512u * 1024);
  ASSERT_EQ(x->disks.size(), 2u);
  EXPECT_EQ(x->disks[0].vdev, "xvda");
  EXPECT_TRUE(x->disks[0].is_block_device);
  EXPECT_EQ(x->disks[1].vdev, "xvdb");
  EXPECT_FALSE(x->disks[1].is_block_device);
  EXPECT_TRUE(x->disks[1].read_only);
  EXPECT_EQ(x->nics[0].bridge, "xenbr1");
  EXPECT_EQ(x->nics[1].bridge, "xenbr0");
  EXPECT_EQ(x->nics[1].mac, DerivedMac("web1/1", "00:16:3e"));
  GuestSpec no_kernel = WebSpec();
  no_kernel.kernel.clear();
  no_kernel.initrd.clear();
  EXPECT_EQ(ToXenDomainSpec(no_kernel, XenGuestType::kPv, &IsVolume).error().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(IncomingName("web1"), "web1--incoming");
  EXPECT_EQ(MigratedAwayName("web1"), "web1--migratedaway");
}

TEST(XenDomainSpec, BecomesLibxlDomainConfig) {
  auto x = ToXenDomainSpec(WebSpec(), XenGuestType::kPvh, &IsVolume);
  ASSERT_TRUE(x.has_value());
  auto text = DomainConfigJson(*x);
  ASSERT_TRUE(text.has_value()) << text.error().ToString();
  auto j = nlohmann::json::parse(*text);
  EXPECT_EQ(j["c_info"]["name"], "web1");
  EXPECT_EQ(j["c_info"]["type"], "pvh");
  EXPECT_EQ(j["b_info"]["max_memkb"], 524288);
  EXPECT_EQ(j["b_info"]["target_memkb"], 524288);
  EXPECT_EQ(j["b_info"]["max_vcpus"], 2);
  EXPECT_EQ(j["b_info"]["kernel"], "/boot/vmlinuz");
  EXPECT_EQ(j["b_info"]["ramdisk"], "/boot/initrd.img");
  EXPECT_EQ(j["b_info"]["cmdline"], "root=/dev/xvda ro");
  ASSERT_EQ(j["disks"].size(), 2u);
  EXPECT_EQ(j["disks"][0]["pdev_path"], "/dev/vg0/web1");
  EXPECT_EQ(j["disks"][0]["vdev"], "xvda");
  EXPECT_EQ(j["disks"][0]["backend"], "phy");
  EXPECT_EQ(j["disks"][0]["format"], "raw");
  EXPECT_EQ(j["disks"][0]["readwrite"], 1);
  EXPECT_EQ(j["disks"][1]["backend"], "qdisk");
  EXPECT_FALSE(j["disks"][1].contains("readwrite") && j["disks"][1]["readwrite"] == 1);
  ASSERT_EQ(j["nics"].size(), 2u);
  EXPECT_EQ(j["nics"][0]["mac"], "00:16:3e:01:02:03");
  EXPECT_EQ(j["nics"][0]["bridge"], "xenbr1");
  EXPECT_EQ(j["nics"][1]["devid"], 1);
  EXPECT_EQ(j["b_info"]["avail_vcpus"], nlohmann::json::array({0, 1}));

  auto pv = ToXenDomainSpec(WebSpec(), XenGuestType::kPv, &IsVolume);
  EXPECT_EQ(nlohmann::json::parse(*DomainConfigJson(*pv))["c_info"]["type"], "pv");
}

TEST(XenRegistry, XenIsInThisBuild) {
  auto kinds = HypervisorKinds();
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "xen"), kinds.end());
  if (::access("/proc/xen", F_OK) != 0) {
    EXPECT_EQ(OpenHypervisor("xen", {}).error().code(), Code::kUnavailable);
  }
}

// --- Runtime: a real Xen dom0 only. ---

class XenRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/proc/xen", F_OK) != 0) {
      GTEST_SKIP() << "no Xen here: /proc/xen is absent (run inside a Xen dom0, "
                      "see REFERENCE.md \"Xen in a lab\")";
    }
    auto image = testing::GuestImageDir();
    if (!image) GTEST_SKIP() << image.error().ToString();
    image_ = *image;
  }
  std::unique_ptr<XenHypervisor> Open(const std::string& sub) {
    XenOptions o;
    o.config_dir = scratch_.path() + "/" + sub;
    auto api = LibxlApi::Open();
    EXPECT_TRUE(api.has_value()) << api.error().ToString();
    if (!api) return nullptr;
    auto hv = XenHypervisor::Open(o, std::move(*api));
    EXPECT_TRUE(hv.has_value()) << hv.error().ToString();
    return hv ? std::move(*hv) : nullptr;
  }
  GuestSpec Guest(const std::string& name) {
    std::string disk = scratch_.path() + "/" + name + ".img";
    EXPECT_TRUE(testing::MakeDisk(disk, 32).ok());
    GuestSpec s = testing::TestGuestSpec(name, image_, disk, 128);
    s.cmdline = "console=hvc0 quiet";
    return s;
  }
  std::string image_;
  testing::ScratchDir scratch_;
};

TEST_F(XenRuntimeTest, LifeCycle) {
  auto hv = Open("a");
  ASSERT_TRUE(hv);
  GuestSpec spec = Guest("drover-xen-t1");
  ASSERT_TRUE(hv->Define(spec).ok());
  ASSERT_TRUE(hv->Start(spec.name).ok());
  EXPECT_EQ(hv->Get(spec.name)->state, GuestState::kRunning);
  ASSERT_TRUE(hv->Pause(spec.name).ok());
  EXPECT_EQ(hv->Get(spec.name)->state, GuestState::kPaused);
  ASSERT_TRUE(hv->Resume(spec.name).ok());
  auto stats = hv->Stats(spec.name);
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->memory_bytes, 128u << 20);
  ASSERT_TRUE(hv->Destroy(spec.name).ok());
  EXPECT_EQ(hv->Get(spec.name)->state, GuestState::kShutoff);
  ASSERT_TRUE(hv->Undefine(spec.name).ok());
}

TEST_F(XenRuntimeTest, LocalLiveMigrationWithHandshake) {
  auto src = Open("src");
  auto dst = Open("dst");
  ASSERT_TRUE(src && dst);
  GuestSpec spec = Guest("drover-xen-t2");
  ASSERT_TRUE(src->Define(spec).ok());
  ASSERT_TRUE(src->Start(spec.name).ok());
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  IncomingParams in;
  in.fd = fds[1];
  ASSERT_TRUE(dst->PrepareMigrationIn(spec, in).has_value());
  MigrationTarget target;
  target.fd = fds[0];
  ASSERT_TRUE(src->StartMigrationOut(spec.name, target, {}).ok());
  auto pre = src->WaitForSwitchover(spec.name, 300s);
  ASSERT_TRUE(pre.has_value()) << pre.error().ToString();
  ASSERT_EQ(pre->phase, MigrationPhase::kPreSwitchover) << pre->error;
  EXPECT_EQ(dst->Get(spec.name)->state, GuestState::kIncoming);
  auto done = src->ContinueMigrationOut(spec.name, 120s);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->phase, MigrationPhase::kCompleted) << done->error;
  auto arrived = dst->WaitMigrationIn(spec.name, 60s);
  ASSERT_TRUE(arrived.has_value());
  EXPECT_EQ(arrived->phase, MigrationPhase::kCompleted);
  EXPECT_EQ(dst->Get(spec.name)->state, GuestState::kRunning);
  ASSERT_TRUE(dst->Destroy(spec.name).ok());
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace drover::hv
