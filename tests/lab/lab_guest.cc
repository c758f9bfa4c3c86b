// drover-lab-guest: the lab's hand on a host's QEMU guests (tools/lab).
//
//   drover-lab-guest start --run-root DIR --name G --disk PATH --image-dir DIR
//                          [--memory-mib N] [--rate BLOCKS_PER_S]
//   drover-lab-guest stop-all --run-root DIR
//   drover-lab-guest list --run-root DIR
//
// `start` defines and boots the test guest of tools/guest/build-image with one
// raw disk, through agent/hypervisor's QEMU driver, in the run root an agent
// serves: QEMU runs daemonized, so the guest outlives this program and the
// agent adopts it (as after an agent restart). Idempotent: a guest already
// running is left alone. `stop-all` destroys every guest under the root
// (for `tools/lab down`, once the agent is stopped: QEMU serves one QMP client
// at a time). Exit status: 0 done, 1 failed (the reason on stderr), 2 usage.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "agent/hypervisor/qemu/qemu_hypervisor.h"

namespace {

using drover::hv::GuestSpec;
using drover::hv::QemuHypervisor;

struct StartArgs {
  std::string name, disk, image_dir;
  uint64_t memory_mib = 96;
  int rate = 200;
};

int Fail(const std::string& what, const drover::Status& s) {
  std::fprintf(stderr, "drover-lab-guest: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

std::unique_ptr<QemuHypervisor> Open(const std::string& run_root, int* rc) {
  drover::hv::QemuOptions options;
  options.run_root = run_root;
  auto driver = QemuHypervisor::Open(options);
  if (!driver) {
    *rc = Fail("run root " + run_root, driver.error());
    return nullptr;
  }
  return std::move(*driver);
}

GuestSpec LabGuestSpec(const StartArgs& a) {
  GuestSpec spec;
  spec.name = a.name;
  spec.memory_mib = a.memory_mib;
  spec.kernel = a.image_dir + "/vmlinuz";
  spec.initrd = a.image_dir + "/initrd.img";
  spec.cmdline = "console=ttyS0 quiet panic=-1 drover_rate=" + std::to_string(a.rate);
  spec.disks.push_back(drover::hv::DiskSpec{a.disk, "raw", "none", false});
  spec.nics.push_back({drover::hv::DerivedMac(a.name, "52:54:00"), ""});
  return spec;
}

int Start(QemuHypervisor& hv, const StartArgs& a) {
  if (auto info = hv.Get(a.name); info && info->state == drover::hv::GuestState::kRunning) {
    std::printf("%s: already running (pid %lld)\n", a.name.c_str(),
                static_cast<long long>(info->id));
    return 0;
  }
  if (drover::Status s = hv.Define(LabGuestSpec(a)); !s.ok()) return Fail("define " + a.name, s);
  if (drover::Status s = hv.Start(a.name); !s.ok()) return Fail("start " + a.name, s);
  auto info = hv.Get(a.name);
  if (!info) return Fail("after start, " + a.name, info.error());
  std::printf("%s: running (pid %lld)\n", a.name.c_str(), static_cast<long long>(info->id));
  return 0;
}

int StopAll(QemuHypervisor& hv) {
  auto guests = hv.List();
  if (!guests) return Fail("list " + hv.run_root(), guests.error());
  int rc = 0;
  for (const auto& g : *guests) {
    if (g.state == drover::hv::GuestState::kShutoff) continue;
    if (drover::Status s = hv.Destroy(g.name); !s.ok()) {
      rc = Fail("destroy " + g.name, s);
    } else {
      std::printf("%s: destroyed\n", g.name.c_str());
    }
  }
  return rc;
}

int List(QemuHypervisor& hv) {
  auto guests = hv.List();
  if (!guests) return Fail("list " + hv.run_root(), guests.error());
  for (const auto& g : *guests) {
    std::printf("%s %s %lld\n", g.name.c_str(), std::string(drover::hv::StateName(g.state)).c_str(),
                static_cast<long long>(g.id));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"drover-lab-guest: start and stop the lab's test guests (tools/lab)"};
  app.require_subcommand(1);
  std::string run_root;
  StartArgs start;
  auto* start_cmd = app.add_subcommand("start", "define and boot a test guest (idempotent)");
  auto* stop_cmd = app.add_subcommand("stop-all", "destroy every guest under the run root");
  auto* list_cmd = app.add_subcommand("list", "print NAME STATE PID of every guest");
  for (auto* cmd : {start_cmd, stop_cmd, list_cmd}) {
    cmd->add_option("--run-root", run_root, "the agent's run root")->required();
  }
  start_cmd->add_option("--name", start.name, "guest name")->required();
  start_cmd->add_option("--disk", start.disk, "raw disk image (a volume of the pool)")->required();
  start_cmd->add_option("--image-dir", start.image_dir, "vmlinuz and initrd.img (build-image)")
      ->required();
  start_cmd->add_option("--memory-mib", start.memory_mib, "guest memory [96]");
  start_cmd->add_option("--rate", start.rate, "4 KiB blocks written per second [200]");
  CLI11_PARSE(app, argc, argv);

  int rc = 0;
  auto hv = Open(run_root, &rc);
  if (!hv) return rc;
  if (start_cmd->parsed()) return Start(*hv, start);
  if (stop_cmd->parsed()) return StopAll(*hv);
  return List(*hv);
}
