#include "agent/sync/discover.h"

#include <fcntl.h>

#include <algorithm>
#include <numeric>
#include <thread>

#include "agent/sync/hash_scan.h"
#include "agent/sync/io.h"

namespace drover::sync {

const char* MethodName(DiscoveryMethod m) {
  switch (m) {
    case DiscoveryMethod::kCache:
      return "cache";
    case DiscoveryMethod::kChangeTracking:
      return "change-tracking";
    case DiscoveryMethod::kFullHash:
      return "hash";
  }
  return "?";
}

std::vector<uint64_t> ChunksTouching(const Layout& layout, const std::vector<ByteRange>& ranges) {
  std::vector<uint64_t> chunks;
  for (const ByteRange& r : ranges) {
    if (r.length == 0 || r.offset >= layout.size) continue;
    uint64_t end = std::min(layout.size, r.offset + r.length);
    for (uint64_t c = r.offset / layout.chunk_size; c * layout.chunk_size < end; ++c) {
      chunks.push_back(c);
    }
  }
  std::sort(chunks.begin(), chunks.end());
  chunks.erase(std::unique(chunks.begin(), chunks.end()), chunks.end());
  return chunks;
}

std::vector<uint64_t> BlocksTouching(const Layout& layout, const std::vector<ByteRange>& ranges) {
  std::vector<uint64_t> blocks;
  for (const ByteRange& r : ranges) {
    if (r.length == 0 || r.offset >= layout.size) continue;
    uint64_t end = std::min(layout.size, r.offset + r.length);
    for (uint64_t b = r.offset / layout.block_size; b * layout.block_size < end; ++b) {
      blocks.push_back(b);
    }
  }
  std::sort(blocks.begin(), blocks.end());
  blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
  return blocks;
}

namespace {

// The base's cached digests, if the base is still what the cache describes.
Result<VolumeDigests> LoadBase(const ChangeBase& base, const Layout& layout,
                               const HashCache& cache) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(base.base_path, O_RDONLY));
  ASSIGN_OR_RETURN(FileIdentity id, IdentifyFile(fd.get(), base.base_cache_tag));
  return cache.Load(base.base_path, id, layout);
}

}  // namespace

Result<Discovery> DiscoverSource(int fd, const std::string& path, const std::string& cache_tag,
                                 const Layout& layout, const HashCache& cache,
                                 const std::optional<ChangeBase>& base, int threads,
                                 const std::atomic<bool>* cancel) {
  ASSIGN_OR_RETURN(FileIdentity id, IdentifyFile(fd, cache_tag));
  Discovery d;
  d.identity = id;
  // The base's digests load while the driver finds the change list: both
  // lie on the path to the first digest sent, and they share nothing.
  std::optional<VolumeDigests> base_digests;
  std::thread base_loader;
  if (base && cache.enabled()) {
    base_loader = std::thread([&] {
      if (auto loaded = LoadBase(*base, layout, cache)) base_digests = std::move(*loaded);
    });
  }
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } joiner{base_loader};
  bool trust_base = base.has_value();
  if (base && base->find_changed) {
    auto found = base->find_changed();
    if (found) {
      d.changed = std::move(*found);
    } else {
      d.note = "no change list (" + found.error().ToString() + "): hashed";
      d.changed = {ByteRange{0, layout.size}};
      trust_base = false;
    }
  } else if (base) {
    d.changed = base->changed;
  }
  if (auto cached = cache.Load(path, id, layout)) {
    d.digests = std::move(*cached);
    d.method = DiscoveryMethod::kCache;
    return d;
  }
  if (base_loader.joinable()) base_loader.join();
  if (trust_base && base_digests) {
    d.digests = std::move(*base_digests);
    std::vector<uint64_t> blocks = BlocksTouching(layout, d.changed);
    RETURN_IF_ERROR(HashSomeBlocks(fd, layout, blocks, d.digests, threads));
    for (uint64_t b : blocks) d.bytes_read += layout.BlockLength(b);
    d.method = DiscoveryMethod::kChangeTracking;
  } else {
    ASSIGN_OR_RETURN(d.digests, HashAllChunks(fd, layout, threads, cancel));
    d.bytes_read = layout.size;
    d.method = DiscoveryMethod::kFullHash;
  }
  d.store_in_cache = true;
  return d;
}

Result<Discovery> DiscoverDestination(int fd, const std::string& path, const std::string& cache_tag,
                                      const Layout& layout, const HashCache& cache,
                                      uint64_t first_chunk, int threads,
                                      const std::atomic<bool>* cancel) {
  ASSIGN_OR_RETURN(FileIdentity id, IdentifyFile(fd, cache_tag));
  Discovery d;
  if (auto cached = cache.Load(path, id, layout)) {
    d.digests = std::move(*cached);
    d.method = DiscoveryMethod::kCache;
    return d;
  }
  d.digests.chunks.assign(layout.chunk_count(), Digest{});
  d.digests.blocks.assign(layout.block_count(), Digest{});
  std::vector<uint64_t> chunks;
  for (uint64_t c = first_chunk; c < layout.chunk_count(); ++c) chunks.push_back(c);
  RETURN_IF_ERROR(HashSomeChunks(fd, layout, chunks, d.digests, threads, cancel));
  for (uint64_t c : chunks) d.bytes_read += layout.ChunkLength(c);
  return d;
}

}  // namespace drover::sync
