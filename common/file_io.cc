#include "common/file_io.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace drover {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    Reset();
    fd_ = o.Release();
  }
  return *this;
}

int UniqueFd::Release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<UniqueFd> OpenFile(const std::string& path, int flags, int mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return Err(ErrnoStatus("open " + path, errno));
  return UniqueFd(fd);
}

Status PreadFull(int fd, std::span<uint8_t> buf, uint64_t offset) {
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::pread(fd, buf.data() + done, buf.size() - done, offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("pread at " + std::to_string(offset + done), errno);
    if (n == 0) return IoError("unexpected end of volume at " + std::to_string(offset + done));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status PwriteFull(int fd, std::span<const uint8_t> buf, uint64_t offset) {
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::pwrite(fd, buf.data() + done, buf.size() - done, offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("pwrite at " + std::to_string(offset + done), errno);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<uint64_t> DescriptorSize(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Err(ErrnoStatus("fstat", errno));
  if (S_ISBLK(st.st_mode)) {
    uint64_t size = 0;
    if (::ioctl(fd, BLKGETSIZE64, &size) != 0) return Err(ErrnoStatus("BLKGETSIZE64", errno));
    return size;
  }
  return static_cast<uint64_t>(st.st_size);
}

Status WriteFileAtomic(const std::string& path, std::span<const uint8_t> content, bool durable) {
  static std::atomic<uint64_t> serial{0};
  const std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(serial++);
  auto opened = OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!opened) return opened.error();
  UniqueFd fd = std::move(*opened);
  Status s = PwriteFull(fd.get(), content, 0);
  if (s.ok() && durable && ::fsync(fd.get()) != 0) s = ErrnoStatus("fsync " + tmp, errno);
  fd.Reset();
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = ErrnoStatus("rename " + tmp, errno);
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

Status OverwriteFile(const std::string& path,
                     std::initializer_list<std::span<const uint8_t>> parts) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(path, O_WRONLY | O_CREAT, 0600));
  uint64_t offset = 0;
  for (auto part : parts) {
    RETURN_STATUS_IF_ERROR(PwriteFull(fd.get(), part, offset));
    offset += part.size();
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(offset)) != 0) {
    return ErrnoStatus("truncate " + path, errno);
  }
  return Status::Ok();
}

Status MakeDirs(const std::string& dir) {
  for (size_t pos = 1; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoStatus("mkdir " + part, errno);
    }
  }
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return Err(NotFound(path + " does not exist"));
  if (fd < 0) return Err(ErrnoStatus("open " + path, errno));
  UniqueFd owned(fd);
  // Sized from fstat so that a cache entry of several MiB is one read into
  // one allocation; the loop still copes with a file that grows or shrinks.
  struct stat st;
  size_t want =
      ::fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 65536;
  std::string out(want, '\0');
  size_t len = 0;
  for (;;) {
    if (len == out.size()) out.resize(out.size() * 2);
    ssize_t n = ::read(fd, out.data() + len, out.size() - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Err(ErrnoStatus("read " + path, errno));
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  out.resize(len);
  return out;
}

}  // namespace drover
