#include "agent/storage/file_driver.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "agent/storage/extent_record.h"
#include "agent/storage/fiemap.h"
#include "agent/storage/reflink.h"
#include "common/file_io.h"

namespace drover::storage {
namespace {

// Sets or clears FS_IMMUTABLE_FL (CAP_LINUX_IMMUTABLE; the agent runs as root).
Status SetImmutable(const std::string& path, bool on) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(path, O_RDONLY | O_NOFOLLOW));
  int flags = 0;
  Status s;
  if (::ioctl(fd.get(), FS_IOC_GETFLAGS, &flags) != 0) {
    // A file system without inode flags has nothing to unfreeze.
    const bool no_flags = errno == ENOTTY || errno == EOPNOTSUPP || errno == EINVAL;
    if (on || !no_flags) s = ErrnoStatus("read the flags of " + path, errno);
  } else if (((flags & FS_IMMUTABLE_FL) != 0) != on) {
    flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
    if (::ioctl(fd.get(), FS_IOC_SETFLAGS, &flags) != 0) {
      s = ErrnoStatus(std::string(on ? "make " : "unfreeze ") + path + (on ? " immutable" : ""),
                      errno);
    }
  }
  return s;
}

}  // namespace

std::string FileDriver::SnapshotName(const std::string& volume, const std::string& snapshot) const {
  return volume + "@" + snapshot;
}

Result<std::string> FileDriver::PoolDir(const std::string& pool) const {
  auto it = pools_.find(pool);
  if (it == pools_.end()) return Err(NotFound("no file pool named '" + pool + "'"));
  return it->second;
}

Result<std::vector<PoolInfo>> FileDriver::ListPools() {
  std::vector<PoolInfo> out;
  for (const auto& [name, dir] : pools_) {
    struct statvfs vfs;
    if (::statvfs(dir.c_str(), &vfs) != 0) return Err(ErrnoStatus("statvfs " + dir, errno));
    out.push_back(PoolInfo{name, static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize,
                           static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize});
  }
  return out;
}

Result<std::vector<VolumeInfo>> FileDriver::ListVolumes(const std::string& pool) {
  ASSIGN_OR_RETURN(std::string dir, PoolDir(pool));
  DIR* d = ::opendir(dir.c_str());
  if (!d) return Err(ErrnoStatus("opendir " + dir, errno));
  std::vector<VolumeInfo> out;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (!ValidateName(name).ok()) continue;  // ".", "..", temporary files
    struct stat st;
    if (::stat((dir + "/" + name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    VolumeInfo v{
        pool,  name, static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(st.st_blocks) * 512,
        false, ""};
    if (auto at = name.find('@'); at != std::string::npos) {
      v.snapshot = true;
      v.origin = name.substr(0, at);
    }
    out.push_back(std::move(v));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(),
            [](const VolumeInfo& a, const VolumeInfo& b) { return a.name < b.name; });
  return out;
}

Status FileDriver::CreateVolume(const std::string& pool, const std::string& volume,
                                uint64_t size_bytes) {
  RETURN_STATUS_IF_ERROR(ValidateName(volume));
  if (volume.find('@') != std::string::npos) return InvalidArgument("'@' is for snapshots");
  auto dir = PoolDir(pool);
  if (!dir) return dir.error();
  std::string path = *dir + "/" + volume;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) return AlreadyExists("volume " + pool + "/" + volume + " exists");
  if (fd < 0) return ErrnoStatus("create " + path, errno);
  Status s;
  if (::ftruncate(fd, static_cast<off_t>(size_bytes)) != 0) s = ErrnoStatus("size " + path, errno);
  ::close(fd);
  if (!s.ok()) ::unlink(path.c_str());
  return s;
}

Status FileDriver::RemoveFile(const std::string& pool, const std::string& name) {
  RETURN_STATUS_IF_ERROR(ValidateName(name));
  auto dir = PoolDir(pool);
  if (!dir) return dir.error();
  std::string path = *dir + "/" + name;
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return NotFound(pool + "/" + name + " does not exist");
    return ErrnoStatus("remove " + path, errno);
  }
  return Status::Ok();
}

Status FileDriver::RemoveVolume(const std::string& pool, const std::string& volume) {
  if (volume.find('@') != std::string::npos) return InvalidArgument(volume + " is a snapshot");
  return RemoveFile(pool, volume);
}

Status FileDriver::CreateSnapshot(const std::string& pool, const std::string& volume,
                                  const std::string& snapshot, uint64_t /*cow_bytes*/) {
  RETURN_STATUS_IF_ERROR(ValidateName(volume));
  RETURN_STATUS_IF_ERROR(ValidateName(snapshot));
  auto dir = PoolDir(pool);
  if (!dir) return dir.error();
  const std::string path = *dir + "/" + SnapshotName(volume, snapshot);
  auto shared = CloneFile(*dir + "/" + volume, path);
  if (!shared) return shared.error();
  if (options_.immutable_snapshots) {
    if (Status s = SetImmutable(path, true); !s.ok()) {
      ::unlink(path.c_str());  // a snapshot without the promised flag is not made
      return s;
    }
  }
  return Status::Ok();
}

Status FileDriver::RemoveSnapshot(const std::string& pool, const std::string& snapshot) {
  if (snapshot.find('@') == std::string::npos) {
    return InvalidArgument(snapshot + " is not a snapshot (VOLUME@SNAPSHOT)");
  }
  ASSIGN_OR_RETURN(std::string path, Path(pool, snapshot));
  // Made immutable by this driver (now or in an earlier configuration).
  if (Status s = SetImmutable(path, false); !s.ok()) {
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0) return s;  // there, and cannot be unfrozen
  }
  RemoveExtentRecord(path);
  return RemoveFile(pool, snapshot);
}

Result<std::string> FileDriver::Path(const std::string& pool, const std::string& name) {
  RETURN_IF_ERROR(ValidateName(name));
  ASSIGN_OR_RETURN(std::string dir, PoolDir(pool));
  return dir + "/" + name;
}

Result<int> FileDriver::Open(const std::string& pool, const std::string& name, OpenMode mode) {
  ASSIGN_OR_RETURN(std::string path, Path(pool, name));
  if (mode == OpenMode::kReadWrite && name.find('@') != std::string::npos) {
    return Err(PermissionDenied("snapshot " + name + " is read-only"));
  }
  int fd = ::open(path.c_str(), (mode == OpenMode::kRead ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return Err(NotFound(pool + "/" + name + " does not exist"));
  if (fd < 0) return Err(ErrnoStatus("open " + path, errno));
  return fd;
}

// The whole answer is the one region that covers everything.
Result<std::optional<std::vector<ByteRange>>> FileDriver::ChangedRanges(const std::string& pool,
                                                                        const std::string& from,
                                                                        const std::string& to) {
  ASSIGN_OR_RETURN(auto by_region, ChangedRangesByRegion(pool, from, to));
  if (!by_region) return std::optional<std::vector<ByteRange>>();
  ASSIGN_OR_RETURN(auto ranges, (*by_region)(0, UINT64_MAX));
  return std::optional<std::vector<ByteRange>>(std::move(ranges));
}

Result<std::optional<StorageDriver::RegionChanges>> FileDriver::ChangedRangesByRegion(
    const std::string& pool, const std::string& from, const std::string& to) {
  ASSIGN_OR_RETURN(std::string a, Path(pool, from));
  ASSIGN_OR_RETURN(std::string b, Path(pool, to));
  // A snapshot made by copying shares no blocks: physical placement then
  // says nothing about what changed.
  if (IsMarkedCopy(a) || IsMarkedCopy(b)) return std::optional<RegionChanges>();
  ASSIGN_OR_RETURN(std::shared_ptr<ReflinkDiff> diff, ReflinkDiff::Open(a, b));
  // One FIEMAP of the first bytes tells whether the file system has it (if
  // not, the sync hashes).
  auto probe = diff->ChangedIn(0, 1);
  if (!probe && probe.error().code() == Code::kInvalidArgument &&
      probe.error().message().find("FIEMAP") != std::string::npos) {
    return std::optional<RegionChanges>();
  }
  if (!probe) return Err(probe.error());
  return std::optional<RegionChanges>(
      [diff](uint64_t begin, uint64_t end) { return diff->ChangedIn(begin, end); });
}

}  // namespace drover::storage
