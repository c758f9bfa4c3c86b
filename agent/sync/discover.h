// Stage 1, change discovery: the chunk digests each side compares.
//
// Source side, cheapest first:
//   1. the snapshot's own cache entry (nothing read);
//   2. change tracking: the base snapshot's cache entry plus the byte ranges
//      the storage driver reports changed since the base (thin_delta, FIEMAP):
//      only the blocks touching those ranges are read and hashed, and the
//      digests of their chunks derived from the block digests. The result is
//      only as true as the change list: drivers may over-report, never
//      under-report (a block changed but not listed keeps the base's digest);
//   3. a full parallel hash.
// A result that did not come from the cache says so (store_in_cache): the
// caller stores it for the next round, off the critical path. Destination side:
// its cache entry (valid only if nobody wrote since the last sync), else a
// hash of the chunks from `first_chunk` on. Blocking; thread-safe for
// distinct volumes.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/sync/hash.h"
#include "agent/sync/hash_cache.h"
#include "agent/sync/layout.h"
#include "common/status.h"

namespace drover::sync {

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
  // One past the last byte, saturating: a driver's length near 2^64 means
  // "to the end", never a wrap-around that would name no byte.
  uint64_t end() const { return offset + std::min(length, UINT64_MAX - offset); }
};

// What the storage driver knows: the snapshot this one derives from, and the
// ranges that differ between them.
struct ChangeBase {
  std::string base_path;
  std::string base_cache_tag;  // for block devices
  std::vector<ByteRange> changed;
  // When set, asked by DiscoverSource for `changed` instead, so that the
  // driver's work (FIEMAP of two snapshots, thin_delta) runs on the
  // discovery thread while the sender connects. If it fails, the whole
  // volume counts as changed and is hashed: slower, never wrong.
  std::function<Result<std::vector<ByteRange>>()> find_changed;
  // When set (it takes precedence), asked region by region in ascending
  // order, so that the digests of the first regions are published (see
  // DiscoveryProgress) while the later ones are still being examined. A
  // region whose question fails counts as changed whole.
  std::function<Result<std::vector<ByteRange>>(uint64_t begin, uint64_t end)> find_changed_in;
};

// Digests published region by region while a change-tracked discovery
// runs, so that the sender streams them to the destination early. Regions
// arrive in order and cover the volume from chunk 0 without gaps; the
// Discovery returned at the end holds them all again. Thread-safe.
class DiscoveryProgress {
 public:
  // `on_publish` (may be empty) runs on the publishing thread after each
  // Publish: the sender wakes its loop there.
  explicit DiscoveryProgress(std::function<void()> on_publish = {})
      : on_publish_(std::move(on_publish)) {}
  struct Region {
    uint64_t first_chunk = 0;
    std::vector<Digest> chunks;      // final digests of chunks from first_chunk on
    std::vector<ByteRange> changed;  // the change list inside the region
  };
  void Publish(Region region);
  std::vector<Region> Take();  // what was published since the last Take

 private:
  std::function<void()> on_publish_;
  std::mutex mu_;
  std::vector<Region> regions_;  // GUARDED_BY(mu_)
};

enum class DiscoveryMethod { kCache, kChangeTracking, kFullHash };
const char* MethodName(DiscoveryMethod m);

struct Discovery {
  VolumeDigests digests;
  DiscoveryMethod method = DiscoveryMethod::kFullHash;
  uint64_t bytes_read = 0;
  std::vector<ByteRange> changed;  // the base's change list as used (see find_changed)
  std::string note;                // why a change list was not used, if it was not
  FileIdentity identity;           // of the volume, as hashed
  bool store_in_cache = false;     // digests are new: worth a HashCache::Store
};

// Chunks touching any of `ranges` (sorted, unique, clipped to the layout).
std::vector<uint64_t> ChunksTouching(const Layout& layout, const std::vector<ByteRange>& ranges);
// Blocks touching any of `ranges` (sorted, unique, clipped to the layout):
// a range that splits a block names the whole block.
std::vector<uint64_t> BlocksTouching(const Layout& layout, const std::vector<ByteRange>& ranges);

// `progress` (may be null) receives the regions of a regional discovery.
Result<Discovery> DiscoverSource(int fd, const std::string& path, const std::string& cache_tag,
                                 const Layout& layout, const HashCache& cache,
                                 const std::optional<ChangeBase>& base, int threads,
                                 const std::atomic<bool>* cancel,
                                 DiscoveryProgress* progress = nullptr);

// Digests for chunks < first_chunk (and their blocks) are left zero: the
// caller knows the chunks' digests, not their blocks'.
Result<Discovery> DiscoverDestination(int fd, const std::string& path, const std::string& cache_tag,
                                      const Layout& layout, const HashCache& cache,
                                      uint64_t first_chunk, int threads,
                                      const std::atomic<bool>* cancel);

}  // namespace drover::sync
