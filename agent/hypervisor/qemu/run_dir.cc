#include "agent/hypervisor/qemu/run_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/hypervisor/qemu/process.h"

namespace drover::hv {
namespace fs = std::filesystem;

RunDir::RunDir(std::string root, std::string name)
    : root_(std::move(root)), name_(std::move(name)), path_(root_ + "/" + name_) {}

bool RunDir::Defined() const {
  std::error_code ec;
  return fs::exists(spec_file(), ec);
}

Status RunDir::Create() const {
  std::error_code ec;
  fs::create_directories(path_, ec);
  if (ec) return IoError("mkdir " + path_ + ": " + ec.message());
  return Status::Ok();
}

Status RunDir::WriteSpec(const GuestSpec& spec) const {
  RETURN_STATUS_IF_ERROR(Create());
  return WriteFileAtomic(spec_file(), ToJson(spec).dump(2) + "\n");
}

Result<GuestSpec> RunDir::ReadSpec() const {
  ASSIGN_OR_RETURN(std::string text, ReadFile(spec_file()));
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Err(InvalidArgument(spec_file() + ": not JSON"));
  auto spec = GuestSpecFromJson(j);
  if (!spec) return Err(spec.error().WithContext(spec_file()));
  return spec;
}

Status RunDir::Remove() const {
  std::error_code ec;
  fs::remove_all(path_, ec);
  if (ec) return IoError("rm -r " + path_ + ": " + ec.message());
  return Status::Ok();
}

pid_t RunDir::LivePid() const {
  auto text = ReadFile(pid_file());
  if (!text) return -1;
  char* end = nullptr;
  long pid = std::strtol(text->c_str(), &end, 10);
  if (pid <= 1 || end == text->c_str()) return -1;
  if (ProcessGone(static_cast<pid_t>(pid))) return -1;  // gone, or a zombie
  // A reused pid runs something else: QEMU names our socket on its command line.
  auto cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  if (!cmdline || cmdline->find(qmp_socket()) == std::string::npos) return -1;
  return static_cast<pid_t>(pid);
}

Result<std::vector<std::string>> ListRunDirs(const std::string& root) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::exists(root, ec)) return names;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "guest.json")) {
      names.push_back(entry.path().filename().string());
    }
  }
  if (ec) return Err(IoError("list " + root + ": " + ec.message()));
  std::sort(names.begin(), names.end());
  return names;
}

Status WriteFileAtomic(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("open " + tmp, errno);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = ErrnoStatus("write " + tmp, errno);
      ::close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  int sync_rc = ::fsync(fd);
  int sync_err = errno;
  if (::close(fd) != 0 || sync_rc != 0)
    return ErrnoStatus("fsync " + tmp, sync_rc ? sync_err : errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus("rename " + tmp, errno);
  return Status::Ok();
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return Err(NotFound(path + ": no such file"));
    return Err(ErrnoStatus("open " + path, errno));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace drover::hv
