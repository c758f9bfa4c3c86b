#include "agent/sync/discover.h"

#include <fcntl.h>

#include <algorithm>
#include <numeric>
#include <thread>
#include <utility>

#include "agent/sync/hash_scan.h"
#include "common/file_io.h"

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
    uint64_t end = std::min(layout.size, r.end());
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
    uint64_t end = std::min(layout.size, r.end());
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

void DiscoveryProgress::Publish(Region region) {
  {
    std::lock_guard lock(mu_);
    regions_.push_back(std::move(region));
  }
  if (on_publish_) on_publish_();
}

std::vector<DiscoveryProgress::Region> DiscoveryProgress::Take() {
  std::lock_guard lock(mu_);
  return std::exchange(regions_, {});
}

namespace {

// 64 MiB regions: small enough that the first digests leave after a few
// milliseconds of FIEMAP, large enough that a region costs few calls.
constexpr uint64_t kRegionChunks = 1024;

// A driver's answer for [begin, end): clipped to it, sorted and merged, as
// the sender's look-ups (ChangesIn) need, whatever order the driver used.
std::vector<ByteRange> ClipTo(std::vector<ByteRange> ranges, uint64_t begin, uint64_t end) {
  std::vector<ByteRange> clipped;
  for (const ByteRange& r : ranges) {
    const uint64_t a = std::max(begin, r.offset), b = std::min(end, r.end());
    if (a < b) clipped.push_back(ByteRange{a, b - a});
  }
  std::sort(clipped.begin(), clipped.end(),
            [](const ByteRange& x, const ByteRange& y) { return x.offset < y.offset; });
  std::vector<ByteRange> out;
  for (const ByteRange& r : clipped) {
    if (!out.empty() && r.offset <= out.back().offset + out.back().length) {
      out.back().length =
          std::max(out.back().offset + out.back().length, r.offset + r.length) - out.back().offset;
    } else {
      out.push_back(r);
    }
  }
  return out;
}

// Change tracking region by region over the base's digests in `d`.
// `first` is the first region's answer, asked while the base's digests
// were still loading.
Status DiscoverByRegion(int fd, const Layout& layout, const ChangeBase& base, int threads,
                        const std::atomic<bool>* cancel, DiscoveryProgress* progress,
                        Result<std::vector<ByteRange>> first, Discovery& d) {
  const uint64_t region = kRegionChunks * layout.chunk_size;
  for (uint64_t begin = 0; begin < layout.size; begin += region) {
    if (cancel && cancel->load()) return Aborted("change discovery cancelled");
    const uint64_t end = std::min(layout.size, begin + region);
    std::vector<ByteRange> ranges;
    auto found = begin == 0 ? std::move(first) : base.find_changed_in(begin, end);
    if (found) {
      ranges = ClipTo(std::move(*found), begin, end);
    } else {
      if (d.note.empty()) {
        d.note = "no change list for some regions (" + found.error().ToString() + "): hashed there";
      }
      ranges = {ByteRange{begin, end - begin}};
    }
    std::vector<uint64_t> blocks = BlocksTouching(layout, ranges);
    RETURN_IF_ERROR(HashSomeBlocks(fd, layout, blocks, d.digests, threads));
    for (uint64_t b : blocks) d.bytes_read += layout.BlockLength(b);
    if (progress) {
      const uint64_t first_chunk = begin / layout.chunk_size;
      const uint64_t end_chunk = (end + layout.chunk_size - 1) / layout.chunk_size;
      progress->Publish(
          DiscoveryProgress::Region{first_chunk,
                                    std::vector<Digest>(d.digests.chunks.begin() + first_chunk,
                                                        d.digests.chunks.begin() + end_chunk),
                                    ranges});
    }
    d.changed.insert(d.changed.end(), ranges.begin(), ranges.end());
  }
  return Status::Ok();
}

}  // namespace

Result<Discovery> DiscoverSource(int fd, const std::string& path, const std::string& cache_tag,
                                 const Layout& layout, const HashCache& cache,
                                 const std::optional<ChangeBase>& base, int threads,
                                 const std::atomic<bool>* cancel, DiscoveryProgress* progress) {
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
  const bool regional = base && base->find_changed_in;
  bool trust_base = base.has_value();
  if (base && !regional && base->find_changed) {
    auto found = base->find_changed();
    if (found) {
      d.changed = std::move(*found);
    } else {
      d.note = "no change list (" + found.error().ToString() + "): hashed";
      d.changed = {ByteRange{0, layout.size}};
      trust_base = false;
    }
  } else if (base && !regional) {
    d.changed = base->changed;
  }
  if (auto cached = cache.Load(path, id, layout)) {
    d.digests = std::move(*cached);
    d.method = DiscoveryMethod::kCache;
    if (regional) {
      auto found = base->find_changed_in(0, layout.size);
      if (found) {
        d.changed = ClipTo(std::move(*found), 0, layout.size);
      } else {
        d.note = "no change list (" + found.error().ToString() + ")";
        d.changed = {ByteRange{0, layout.size}};
      }
    }
    return d;
  }
  // The first region's change list is found while the base's digests load.
  Result<std::vector<ByteRange>> first_region = std::vector<ByteRange>{};
  if (regional) {
    first_region =
        base->find_changed_in(0, std::min(layout.size, kRegionChunks * layout.chunk_size));
  }
  if (base_loader.joinable()) base_loader.join();
  if (trust_base && base_digests) {
    d.digests = std::move(*base_digests);
    if (regional) {
      RETURN_IF_ERROR(DiscoverByRegion(fd, layout, *base, threads, cancel, progress,
                                       std::move(first_region), d));
    } else {
      std::vector<uint64_t> blocks = BlocksTouching(layout, d.changed);
      RETURN_IF_ERROR(HashSomeBlocks(fd, layout, blocks, d.digests, threads));
      for (uint64_t b : blocks) d.bytes_read += layout.BlockLength(b);
    }
    d.method = DiscoveryMethod::kChangeTracking;
  } else {
    ASSIGN_OR_RETURN(d.digests, HashAllChunks(fd, layout, threads, cancel));
    d.bytes_read = layout.size;
    d.method = DiscoveryMethod::kFullHash;
    // Without the base's digests no change list was asked for: the
    // destination's copy of the base may differ anywhere.
    if (regional) d.changed = {ByteRange{0, layout.size}};
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
