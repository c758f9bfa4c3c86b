#include "agent/hypervisor/qemu/qemu_command.h"

#include <sys/un.h>

#include <set>

namespace drover::hv {
namespace {

const std::set<std::string> kAccels = {"tcg", "kvm", "xen"};
const std::set<std::string> kCacheModes = {"none", "writeback", "writethrough", "directsync",
                                           "unsafe"};

void AddDisks(const GuestSpec& spec, std::vector<std::string>* argv) {
  for (size_t i = 0; i < spec.disks.size(); ++i) {
    const DiskSpec& d = spec.disks[i];
    std::string id = "disk" + std::to_string(i);
    argv->insert(argv->end(),
                 {"-drive",
                  "file=" + d.path + ",format=" + d.format + ",if=none,id=" + id +
                      ",cache=" + d.cache + (d.read_only ? ",readonly=on" : ""),
                  "-device", "virtio-blk-pci,drive=" + id + ",id=vd" + std::to_string(i)});
  }
}

void AddNics(const GuestSpec& spec, std::vector<std::string>* argv) {
  for (size_t i = 0; i < spec.nics.size(); ++i) {
    const NicSpec& n = spec.nics[i];
    std::string id = "net" + std::to_string(i);
    std::string mac =
        n.mac.empty() ? DerivedMac(spec.name + "/" + std::to_string(i), "52:54:00") : n.mac;
    std::string backend =
        n.bridge.empty() ? "user,id=" + id + ",restrict=on" : "bridge,id=" + id + ",br=" + n.bridge;
    argv->insert(argv->end(),
                 {"-netdev", backend, "-device", "virtio-net-pci,netdev=" + id + ",mac=" + mac});
  }
}

}  // namespace

Result<std::vector<std::string>> BuildQemuArgv(const QemuConfig& config, const GuestSpec& spec,
                                               const RunDir& dir, QemuStartMode mode) {
  RETURN_IF_ERROR(Validate(spec));
  if (!kAccels.count(config.accel)) return Err(InvalidArgument("unknown accel " + config.accel));
  for (const auto& d : spec.disks) {
    if (!kCacheModes.count(d.cache)) return Err(InvalidArgument("unknown cache mode " + d.cache));
  }
  if (dir.path().find(',') != std::string::npos) {
    return Err(InvalidArgument("run directory path contains a comma: " + dir.path()));
  }
  if (dir.qmp_socket().size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Err(InvalidArgument("run directory path too long for a socket: " + dir.path()));
  }
  std::vector<std::string> argv = {config.binary,
                                   "-name",
                                   "guest=" + spec.name + ",debug-threads=on",
                                   "-machine",
                                   config.machine,
                                   "-accel",
                                   config.accel,
                                   "-smp",
                                   std::to_string(spec.vcpus),
                                   "-m",
                                   std::to_string(spec.memory_mib),
                                   "-nodefaults",
                                   "-no-user-config",
                                   "-display",
                                   "none",
                                   "-chardev",
                                   "socket,id=qmp,path=" + dir.qmp_socket() + ",server=on,wait=off",
                                   "-mon",
                                   "chardev=qmp,mode=control",
                                   "-chardev",
                                   "file,id=serial0,path=" + dir.serial_log() + ",append=on",
                                   "-serial",
                                   "chardev:serial0",
                                   "-pidfile",
                                   dir.pid_file(),
                                   "-daemonize"};
  if (!config.cpu.empty()) argv.insert(argv.end(), {"-cpu", config.cpu});
  if (!spec.kernel.empty()) {
    argv.insert(argv.end(), {"-kernel", spec.kernel});
    if (!spec.initrd.empty()) argv.insert(argv.end(), {"-initrd", spec.initrd});
    if (!spec.cmdline.empty()) argv.insert(argv.end(), {"-append", spec.cmdline});
  }
  AddDisks(spec, &argv);
  AddNics(spec, &argv);
  if (mode == QemuStartMode::kIncoming) argv.insert(argv.end(), {"-S", "-incoming", "defer"});
  argv.insert(argv.end(), config.extra_args.begin(), config.extra_args.end());
  return argv;
}

}  // namespace drover::hv
