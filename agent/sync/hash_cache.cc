#include "agent/sync/hash_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/sync/io.h"

namespace drover::sync {
namespace {

constexpr char kMagic[8] = {'D', 'R', 'V', 'H', 'C', 'v', '2', '\n'};

void PutU64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t GetU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

// Everything the entry must match, folded into one comparable header.
std::vector<uint8_t> Header(const FileIdentity& id, const Layout& layout) {
  std::vector<uint8_t> h(kMagic, kMagic + sizeof kMagic);
  for (uint64_t v : {id.dev, id.ino, id.size, static_cast<uint64_t>(id.mtime_ns),
                     static_cast<uint64_t>(id.ctime_ns), HashString(id.tag),
                     static_cast<uint64_t>(id.block_device), layout.size,
                     static_cast<uint64_t>(layout.chunk_size),
                     static_cast<uint64_t>(layout.block_size)}) {
    PutU64(h, v);
  }
  return h;
}

// One checksum over both lists, so that a torn entry is never used.
Digest Checksum(const VolumeDigests& d) {
  Digest both[2] = {HashDigestList(d.chunks), HashDigestList(d.blocks)};
  return HashDigestList(both);
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

Result<VolumeDigests> HashCache::Load(const std::string& volume_path, const FileIdentity& id,
                                      const Layout& layout) const {
  if (!enabled()) return Err(NotFound("hash cache disabled"));
  if (id.block_device && id.tag.empty()) return Err(NotFound("block device without a cache tag"));
  ASSIGN_OR_RETURN(std::string raw, ReadWholeFile(EntryPath(volume_path)));
  std::vector<uint8_t> header = Header(id, layout);
  const uint64_t n = layout.chunk_count(), m = layout.block_count();
  if (raw.size() != header.size() + (n + m) * 16 + 16 ||
      std::memcmp(raw.data(), header.data(), header.size()) != 0) {
    return Err(NotFound("hash cache entry for " + volume_path + " is stale"));
  }
  const auto* p = reinterpret_cast<const uint8_t*>(raw.data()) + header.size();
  VolumeDigests d;
  d.chunks.resize(n);
  d.blocks.resize(m);
  UnpackDigests(p, d.chunks);
  UnpackDigests(p + 16 * n, d.blocks);
  Digest check = Checksum(d);
  const uint8_t* tail = p + 16 * (n + m);
  if (check.lo != GetU64(tail) || check.hi != GetU64(tail + 8)) {
    return Err(NotFound("hash cache entry for " + volume_path + " is damaged"));
  }
  return d;
}

Status HashCache::Store(const std::string& volume_path, const FileIdentity& id,
                        const Layout& layout, const VolumeDigests& digests) const {
  if (!enabled() || (id.block_device && id.tag.empty())) return Status::Ok();
  if (digests.chunks.size() != layout.chunk_count() ||
      digests.blocks.size() != layout.block_count()) {
    return Internal("digest list of wrong size");
  }
  RETURN_STATUS_IF_ERROR(MakeDirs(dir_));
  std::vector<uint8_t> out = Header(id, layout);
  size_t pos = out.size();
  out.reserve(pos + (digests.chunks.size() + digests.blocks.size()) * 16 + 16);
  out.resize(pos + (digests.chunks.size() + digests.blocks.size()) * 16);
  PackDigests(digests.chunks, out.data() + pos);
  PackDigests(digests.blocks, out.data() + pos + digests.chunks.size() * 16);
  Digest check = Checksum(digests);
  PutU64(out, check.lo);
  PutU64(out, check.hi);
  return WriteFileReplace(EntryPath(volume_path), out);
}

void HashCache::Remove(const std::string& volume_path) const {
  if (enabled()) ::unlink(EntryPath(volume_path).c_str());
}

}  // namespace drover::sync
