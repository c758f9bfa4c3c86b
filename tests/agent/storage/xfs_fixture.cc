#include "tests/agent/storage/xfs_fixture.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "agent/storage/command_runner.h"

namespace drover::storage::testing {
namespace {

// Runs a tool by argument vector; returns its first output line ("" when
// it printed none) and sets *rc (-1: it could not run).
std::string Capture(const std::vector<std::string>& argv, int* rc) {
  auto r = ExecCommandRunner().Run(argv);
  *rc = r ? r->exit_code : -1;
  if (!r) return "";
  std::string out = r->out.substr(0, r->out.find('\n'));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

XfsMount::XfsMount(int size_mib) {
  if (::geteuid() != 0) {
    why_not_ = "needs root to make an XFS on a loop device";
    return;
  }
  char tmpl[] = "/tmp/drover-xfs-XXXXXX";
  if (!::mkdtemp(tmpl)) {
    why_not_ = "mkdtemp failed";
    return;
  }
  std::string base = tmpl;
  image_ = base + ".img";
  mount_dir_ = base;
  int rc = 0;
  Capture({"truncate", "-s", std::to_string(size_mib) + "M", image_}, &rc);
  if (rc != 0) {
    why_not_ = "cannot create the image file";
    return;
  }
  loop_ = Capture({"losetup", "-f", "--show", image_}, &rc);
  if (rc != 0 || loop_.empty()) {
    why_not_ = "losetup failed: no loop devices here";
    loop_.clear();
    return;
  }
  Capture({"mkfs.xfs", "-q", "-m", "reflink=1", loop_}, &rc);
  if (rc != 0) {
    why_not_ = "mkfs.xfs failed (is xfsprogs installed?)";
    return;
  }
  if (::mount(loop_.c_str(), mount_dir_.c_str(), "xfs", 0, nullptr) != 0) {
    why_not_ = std::string("mount xfs failed: ") + std::strerror(errno);
    return;
  }
  mounted_ = true;
}

XfsMount::~XfsMount() {
  int rc = 0;
  if (mounted_) ::umount2(mount_dir_.c_str(), MNT_DETACH);
  if (!loop_.empty()) Capture({"losetup", "-d", loop_}, &rc);
  if (!image_.empty()) ::unlink(image_.c_str());
  if (!mount_dir_.empty()) ::rmdir(mount_dir_.c_str());
}

}  // namespace drover::storage::testing
