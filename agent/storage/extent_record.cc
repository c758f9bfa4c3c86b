#include "agent/storage/extent_record.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <span>

#include "agent/storage/fiemap.h"
#include "common/file_io.h"
#include "common/little_endian.h"

namespace drover::storage {
namespace {

constexpr char kMagic[8] = {'D', 'R', 'V', 'X', 'R', 'v', '1', '\n'};
constexpr size_t kHeaderWords = 7;  // identity (6) and the extent count
constexpr size_t kExtentWords = 4;  // logical, physical, length, flags

std::vector<uint8_t> Header(const ImmutableIdentity& id, uint64_t count) {
  std::vector<uint8_t> out(kMagic, kMagic + sizeof kMagic);
  for (uint64_t v : {id.dev, id.ino, id.generation, id.size, static_cast<uint64_t>(id.ctime_ns),
                     static_cast<uint64_t>(id.mtime_ns), count}) {
    PutU64LE(out, v);
  }
  return out;
}

int64_t Nanos(const struct timespec& t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

}  // namespace

Result<std::optional<ImmutableIdentity>> IdentifyImmutable(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Err(ErrnoStatus("fstat", errno));
  if (!S_ISREG(st.st_mode)) return std::optional<ImmutableIdentity>();
  int flags = 0;
  if (::ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) {
    if (errno == ENOTTY || errno == EOPNOTSUPP || errno == EINVAL) {
      return std::optional<ImmutableIdentity>();
    }
    return Err(ErrnoStatus("FS_IOC_GETFLAGS", errno));
  }
  if (!(flags & FS_IMMUTABLE_FL)) return std::optional<ImmutableIdentity>();
  int generation = 0;
  if (::ioctl(fd, FS_IOC_GETVERSION, &generation) != 0) return std::optional<ImmutableIdentity>();
  ImmutableIdentity id;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.generation = static_cast<uint32_t>(generation);
  id.size = static_cast<uint64_t>(st.st_size);
  id.ctime_ns = Nanos(st.st_ctim);
  id.mtime_ns = Nanos(st.st_mtim);
  return std::optional<ImmutableIdentity>(id);
}

std::string ExtentRecordPath(const std::string& file_path) {
  const size_t slash = file_path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : file_path.substr(0, slash);
  const std::string name = slash == std::string::npos ? file_path : file_path.substr(slash + 1);
  return dir + "/.drover-extents/" + name;
}

std::optional<std::vector<Extent>> LoadExtentRecord(const std::string& file_path,
                                                    const ImmutableIdentity& id) {
  auto file = ReadWholeFile(ExtentRecordPath(file_path));
  if (!file) return std::nullopt;
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(file->data()),
                                       file->size());
  const size_t header_size = sizeof kMagic + 8 * kHeaderWords;
  if (bytes.size() < header_size + 16) return std::nullopt;
  const uint64_t count = GetU64LE(bytes.data() + header_size - 8);
  if (count > (bytes.size() - header_size - 16) / (8 * kExtentWords) ||
      bytes.size() != header_size + count * 8 * kExtentWords + 16) {
    return std::nullopt;
  }
  const std::vector<uint8_t> expected = Header(id, count);
  if (std::memcmp(bytes.data(), expected.data(), header_size) != 0) return std::nullopt;
  const size_t body = bytes.size() - 16;
  XXH128_hash_t sum = XXH3_128bits(bytes.data(), body);
  if (GetU64LE(bytes.data() + body) != sum.low64 ||
      GetU64LE(bytes.data() + body + 8) != sum.high64) {
    return std::nullopt;
  }
  std::vector<Extent> extents(count);
  const uint8_t* p = bytes.data() + header_size;
  uint64_t covered = 0;
  for (Extent& e : extents) {
    e.logical = GetU64LE(p);
    e.physical = GetU64LE(p + 8);
    e.length = GetU64LE(p + 16);
    const uint64_t flags = GetU64LE(p + 24);
    e.exact = flags & 1;
    e.shared = flags & 2;
    p += 8 * kExtentWords;
    // Sorted and disjoint, as DiffExtents needs; anything else is damage.
    if (e.length == 0 || e.logical < covered || e.logical + e.length < e.logical) {
      return std::nullopt;
    }
    covered = e.logical + e.length;
  }
  return extents;
}

Result<bool> StoreExtentRecord(const std::string& file_path, const ImmutableIdentity& id,
                               const std::vector<Extent>& extents,
                               std::chrono::nanoseconds min_age) {
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  if (Nanos(now) - id.ctime_ns < min_age.count()) return false;
  std::vector<uint8_t> bytes = Header(id, extents.size());
  bytes.reserve(bytes.size() + extents.size() * 8 * kExtentWords + 16);
  for (const Extent& e : extents) {
    PutU64LE(bytes, e.logical);
    PutU64LE(bytes, e.physical);
    PutU64LE(bytes, e.length);
    PutU64LE(bytes, (e.exact ? 1u : 0u) | (e.shared ? 2u : 0u));
  }
  XXH128_hash_t sum = XXH3_128bits(bytes.data(), bytes.size());
  PutU64LE(bytes, sum.low64);
  PutU64LE(bytes, sum.high64);
  const std::string path = ExtentRecordPath(file_path);
  RETURN_IF_ERROR(MakeDirs(path.substr(0, path.rfind('/'))));
  // Not fsynced: a record lost to a crash costs one FIEMAP.
  RETURN_IF_ERROR(WriteFileAtomic(path, bytes, /*durable=*/false));
  return true;
}

void RemoveExtentRecord(const std::string& file_path) {
  ::unlink(ExtentRecordPath(file_path).c_str());
}

Result<bool> RecordExtentMap(const std::string& file_path, std::chrono::nanoseconds min_age) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(file_path, O_RDONLY));
  ASSIGN_OR_RETURN(std::optional<ImmutableIdentity> before, IdentifyImmutable(fd.get()));
  if (!before) return false;
  ASSIGN_OR_RETURN(std::vector<Extent> extents, ReadExtents(fd.get(), 0, UINT64_MAX));
  // The map is only the file's if nothing changed while it was read.
  ASSIGN_OR_RETURN(std::optional<ImmutableIdentity> after, IdentifyImmutable(fd.get()));
  if (!after || !(*after == *before)) return false;
  return StoreExtentRecord(file_path, *before, extents, min_age);
}

}  // namespace drover::storage
