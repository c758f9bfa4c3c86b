#include "tests/agent/hypervisor/test_guest.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/storage/command_runner.h"

namespace drover::hv::testing {
namespace {

std::optional<uint64_t> ScanCounters(const std::string& serial_log, bool want_first) {
  std::ifstream in(serial_log);
  std::string line;
  std::optional<uint64_t> found;
  const std::string tag = "drover-counter ";
  while (std::getline(in, line)) {
    size_t at = line.find(tag);
    if (at == std::string::npos) continue;
    uint64_t n = std::strtoull(line.c_str() + at + tag.size(), nullptr, 10);
    if (want_first) return n;
    if (!found || n > *found) found = n;
  }
  return found;
}

// The console lines that are not counters (kernel messages, a panic, the
// writer's errors) and the last line: what a failed wait needs to be explained.
std::string ConsoleNotes(const std::string& serial_log) {
  std::ifstream in(serial_log);
  std::string line, last, notes;
  size_t kept = 0;
  while (std::getline(in, line)) {
    last = line;
    if (line.find("drover-counter ") != std::string::npos || line.empty()) continue;
    if (++kept > 40) continue;  // a panic's first lines say the most
    notes += "\n  | " + line;
  }
  return notes + "\n  last line: " + last;
}

}  // namespace

Result<std::string> GuestImageDir() {
  static const Result<std::string> dir = []() -> Result<std::string> {
    auto run = storage::ExecCommandRunner().Run(
        {std::string(DROVER_SOURCE_DIR) + "/tools/guest/build-image"});
    if (!run)
      return Err(Unavailable("cannot run tools/guest/build-image: " + run.error().ToString()));
    std::string out = run->out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    if (run->exit_code != 0) {
      return Err(Unavailable("the test guest cannot be built: " + run->err + out));
    }
    std::string last = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
    return last;
  }();
  return dir;
}

ScratchDir::ScratchDir() {
  char tmpl[] = "/tmp/drover-hv-XXXXXX";
  path_ = ::mkdtemp(tmpl) ? tmpl : "";
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

Status MakeDisk(const std::string& path, uint64_t mib) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("create " + path, errno);
  int rc = ::ftruncate(fd, static_cast<off_t>(mib << 20));
  ::close(fd);
  return rc == 0 ? Status::Ok() : ErrnoStatus("truncate " + path, errno);
}

Status CopyInPlace(const std::string& from, const std::string& to) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return ErrnoStatus("open " + from, errno);
  int out = ::open(to.c_str(), O_WRONLY | O_CLOEXEC);
  if (out < 0) {
    ::close(in);
    return ErrnoStatus("open " + to, errno);
  }
  std::vector<char> buf(1 << 20);
  off_t off = 0;
  Status st;
  for (;;) {
    ssize_t n = ::pread(in, buf.data(), buf.size(), off);
    if (n <= 0) {
      if (n < 0) st = ErrnoStatus("read " + from, errno);
      break;
    }
    if (::pwrite(out, buf.data(), static_cast<size_t>(n), off) != n) {
      st = ErrnoStatus("write " + to, errno);
      break;
    }
    off += n;
  }
  if (st.ok() && ::fdatasync(out) != 0) st = ErrnoStatus("fdatasync " + to, errno);
  ::close(in);
  ::close(out);
  return st;
}

GuestSpec TestGuestSpec(const std::string& name, const std::string& image_dir,
                        const std::string& disk, uint64_t memory_mib) {
  GuestSpec spec;
  spec.name = name;
  spec.memory_mib = memory_mib;
  spec.kernel = image_dir + "/vmlinuz";
  spec.initrd = image_dir + "/initrd.img";
  spec.cmdline = "console=ttyS0 quiet panic=-1";
  spec.disks.push_back(DiskSpec{disk, "raw", "none", false});
  return spec;
}

std::optional<uint64_t> LastCounter(const std::string& serial_log) {
  return ScanCounters(serial_log, false);
}

std::optional<uint64_t> FirstCounter(const std::string& serial_log) {
  return ScanCounters(serial_log, true);
}

Result<uint64_t> WaitForCounter(const std::string& serial_log, uint64_t at_least,
                                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto n = LastCounter(serial_log);
    if (n && *n >= at_least) return *n;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Err(Timeout("counter did not reach " + std::to_string(at_least) + " (last " +
                         (n ? std::to_string(*n) : std::string("none")) + ") in " + serial_log +
                         "; the console said:" + ConsoleNotes(serial_log)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace drover::hv::testing
