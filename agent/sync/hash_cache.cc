#include "agent/sync/hash_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <initializer_list>

#include "common/file_io.h"
#include "common/little_endian.h"

namespace drover::sync {
namespace {

// v3: the checksum covers the header too, because entries are overwritten
// in place (see Store).
constexpr char kMagic[8] = {'D', 'R', 'V', 'H', 'C', 'v', '3', '\n'};

// Everything the entry must match, folded into one comparable header.
std::vector<uint8_t> Header(const FileIdentity& id, const Layout& layout) {
  std::vector<uint8_t> h(kMagic, kMagic + sizeof kMagic);
  for (uint64_t v :
       {id.dev, id.ino, id.size, static_cast<uint64_t>(id.mtime_ns),
        static_cast<uint64_t>(id.ctime_ns), HashString(id.tag),
        static_cast<uint64_t>(id.block_device), layout.size,
        static_cast<uint64_t>(layout.chunk_size), static_cast<uint64_t>(layout.block_size)}) {
    PutU64LE(h, v);
  }
  return h;
}

// The entry's parts in file order: header, chunk digests, block digests
// (the byte form of PackDigests), then the checksum of all three.
struct Parts {
  std::vector<uint8_t> header;
  std::vector<uint8_t> packed;  // both lists, only where the memory form differs
  std::span<const uint8_t> chunks, blocks;
};

Parts PartsOf(const FileIdentity& id, const Layout& layout, const VolumeDigests& d) {
  Parts p;
  p.header = Header(id, layout);
  if constexpr (std::endian::native == std::endian::little) {
    static_assert(sizeof(Digest) == 16);
    p.chunks = {reinterpret_cast<const uint8_t*>(d.chunks.data()), d.chunks.size() * 16};
    p.blocks = {reinterpret_cast<const uint8_t*>(d.blocks.data()), d.blocks.size() * 16};
  } else {
    p.packed.resize((d.chunks.size() + d.blocks.size()) * 16);
    PackDigests(d.chunks, p.packed.data());
    PackDigests(d.blocks, p.packed.data() + d.chunks.size() * 16);
    p.chunks = std::span<const uint8_t>(p.packed).first(d.chunks.size() * 16);
    p.blocks = std::span<const uint8_t>(p.packed).subspan(d.chunks.size() * 16);
  }
  return p;
}

Digest Checksum(std::initializer_list<std::span<const uint8_t>> parts) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  for (auto part : parts) XXH3_128bits_update(state, part.data(), part.size());
  XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  return Digest{h.low64, h.high64};
}

}  // namespace

Result<FileIdentity> IdentifyFile(int fd, const std::string& tag) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Err(ErrnoStatus("fstat", errno));
  FileIdentity id;
  id.block_device = S_ISBLK(st.st_mode);
  id.dev = id.block_device ? st.st_rdev : st.st_dev;
  id.ino = st.st_ino;
  id.tag = tag;
  if (id.block_device) {
    ASSIGN_OR_RETURN(id.size, DescriptorSize(fd));
    return id;  // no mtime witness: the tag is the identity
  }
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  id.ctime_ns = st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
  return id;
}

std::string HashCache::EntryPath(const std::string& volume_path) const {
  char name[40];
  std::snprintf(name, sizeof name, "%016llx.hashes",
                static_cast<unsigned long long>(HashString(volume_path)));
  return dir_ + "/" + name;
}

Result<Layout> HashCache::StoredLayout(const std::string& volume_path) const {
  if (!enabled()) return Err(NotFound("hash cache disabled"));
  const std::string path = EntryPath(volume_path);
  int raw_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw_fd < 0 && errno == ENOENT) return Err(NotFound(path + " does not exist"));
  if (raw_fd < 0) return Err(ErrnoStatus("open " + path, errno));
  UniqueFd fd(raw_fd);
  // The layout is the header's last three fields (see Header); Load checks
  // the rest, and the checksum, against the identity it is given.
  uint8_t header[sizeof kMagic + 10 * 8];
  if (!PreadFull(fd.get(), header, 0).ok() || std::memcmp(header, kMagic, sizeof kMagic) != 0) {
    return Err(NotFound("hash cache entry for " + volume_path + " is not a v3 entry"));
  }
  Layout layout;
  layout.size = GetU64LE(header + sizeof kMagic + 7 * 8);
  const uint64_t chunk = GetU64LE(header + sizeof kMagic + 8 * 8),
                 block = GetU64LE(header + sizeof kMagic + 9 * 8);
  if (chunk > UINT32_MAX || block > UINT32_MAX) {
    return Err(NotFound("hash cache entry for " + volume_path + " has an invalid layout"));
  }
  layout.chunk_size = static_cast<uint32_t>(chunk);
  layout.block_size = static_cast<uint32_t>(block);
  if (!layout.Valid()) {
    return Err(NotFound("hash cache entry for " + volume_path + " has an invalid layout"));
  }
  return layout;
}

Result<VolumeDigests> HashCache::Load(const std::string& volume_path, const FileIdentity& id,
                                      const Layout& layout) const {
  if (!enabled()) return Err(NotFound("hash cache disabled"));
  if (id.block_device && id.tag.empty()) return Err(NotFound("block device without a cache tag"));
  const std::string path = EntryPath(volume_path);
  int raw_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw_fd < 0 && errno == ENOENT) return Err(NotFound(path + " does not exist"));
  if (raw_fd < 0) return Err(ErrnoStatus("open " + path, errno));
  UniqueFd fd(raw_fd);
  const std::vector<uint8_t> header = Header(id, layout);
  const uint64_t n = layout.chunk_count(), m = layout.block_count();
  const uint64_t size = header.size() + (n + m) * 16 + 16;
  std::vector<uint8_t> on_disk(header.size());
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || static_cast<uint64_t>(st.st_size) != size ||
      !PreadFull(fd.get(), on_disk, 0).ok() || on_disk != header) {
    return Err(NotFound("hash cache entry for " + volume_path + " is stale"));
  }
  // Read straight into the digest lists (their memory form is the file's
  // on little-endian machines): a cache of 4 MiB a GiB is read at the start
  // of every round, so no byte is copied twice.
  VolumeDigests d;
  d.chunks.resize(n);
  d.blocks.resize(m);
  std::vector<uint8_t> packed;  // big-endian machines only
  std::span<uint8_t> chunk_bytes, block_bytes;
  if constexpr (std::endian::native == std::endian::little) {
    chunk_bytes = {reinterpret_cast<uint8_t*>(d.chunks.data()), n * 16};
    block_bytes = {reinterpret_cast<uint8_t*>(d.blocks.data()), m * 16};
  } else {
    packed.resize((n + m) * 16);
    chunk_bytes = std::span<uint8_t>(packed).first(n * 16);
    block_bytes = std::span<uint8_t>(packed).subspan(n * 16);
  }
  uint8_t tail[16];
  const bool read = PreadFull(fd.get(), chunk_bytes, header.size()).ok() &&
                    PreadFull(fd.get(), block_bytes, header.size() + n * 16).ok() &&
                    PreadFull(fd.get(), tail, size - 16).ok();
  Digest check = Checksum({header, chunk_bytes, block_bytes});
  if (!read || check.lo != GetU64LE(tail) || check.hi != GetU64LE(tail + 8)) {
    return Err(NotFound("hash cache entry for " + volume_path + " is damaged"));
  }
  if constexpr (std::endian::native != std::endian::little) {
    UnpackDigests(packed.data(), d.chunks);
    UnpackDigests(packed.data() + 16 * n, d.blocks);
  }
  return d;
}

// Overwritten in place, not written aside and renamed: replacing a file of
// several MiB by rename costs milliseconds (the old one's blocks freed, and
// ext4 starts writeback of the new one) at the end of every sync. A torn or
// interleaved entry (a crash mid-write, or a reader meanwhile) fails the
// checksum, which covers the header, so old and new parts never pass as one.
Status HashCache::Store(const std::string& volume_path, const FileIdentity& id,
                        const Layout& layout, const VolumeDigests& digests) const {
  if (!enabled() || (id.block_device && id.tag.empty())) return Status::Ok();
  if (digests.chunks.size() != layout.chunk_count() ||
      digests.blocks.size() != layout.block_count()) {
    return Internal("digest list of wrong size");
  }
  RETURN_STATUS_IF_ERROR(MakeDirs(dir_));
  Parts parts = PartsOf(id, layout, digests);
  Digest check = Checksum({parts.header, parts.chunks, parts.blocks});
  std::vector<uint8_t> tail;
  PutU64LE(tail, check.lo);
  PutU64LE(tail, check.hi);
  return OverwriteFile(EntryPath(volume_path), {parts.header, parts.chunks, parts.blocks, tail});
}

void HashCache::Remove(const std::string& volume_path) const {
  if (enabled()) ::unlink(EntryPath(volume_path).c_str());
}

}  // namespace drover::sync
