#include "agent/storage/reflink.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace drover::storage {
namespace {

Status CopyAll(int in, int out, uint64_t size) {
  uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, size - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("copy_file_range", errno);
    if (n == 0) return IoError("source shrank during copy");
    done += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Result<bool> CloneFile(const std::string& src, const std::string& dst) {
  int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return Err(errno == ENOENT ? NotFound(src + " does not exist")
                               : ErrnoStatus("open " + src, errno));
  int out = ::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) {
    int err = errno;
    ::close(in);
    if (err == EEXIST) return Err(AlreadyExists(dst + " already exists"));
    return Err(ErrnoStatus("create " + dst, err));
  }
  bool shared = ::ioctl(out, FICLONE, in) == 0;
  Status s;
  if (!shared) {
    int err = errno;
    if (err == EOPNOTSUPP || err == ENOTTY || err == EXDEV || err == EINVAL || err == ENOSYS) {
      spdlog::warn("storage/file: {} does not support reflinks ({}); copying {} in full", dst,
                   std::strerror(err), src);
      struct stat st;
      s = ::fstat(in, &st) == 0 ? CopyAll(in, out, static_cast<uint64_t>(st.st_size))
                                : ErrnoStatus("fstat " + src, errno);
      if (s.ok()) (void)::fsetxattr(out, kCopyMarker, "1", 1, 0);
    } else {
      s = ErrnoStatus("FICLONE " + src + " -> " + dst, err);
    }
  }
  if (s.ok() && ::fsync(out) != 0) s = ErrnoStatus("fsync " + dst, errno);
  ::close(in);
  ::close(out);
  if (!s.ok()) {
    ::unlink(dst.c_str());
    return Err(s);
  }
  return shared;
}

bool IsMarkedCopy(const std::string& path) {
  char v;
  return ::getxattr(path.c_str(), kCopyMarker, &v, 1) >= 0;
}

}  // namespace drover::storage
