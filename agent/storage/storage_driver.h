// The storage driver interface: where an agent keeps guest volumes.
//
// A pool is where volumes live (an LVM volume group or thin pool, a
// directory); a volume is a guest disk; a snapshot is a crash-consistent,
// read-only point-in-time image of a volume, named in the same pool. Drivers
// are picked by name from the registry ("file", "lvm").
//
// Contract for every driver:
//  * Environment failures (a full pool, a missing tool, a name that does not
//    exist) are returned as Status, never thrown; nothing is left half-made
//    when a create fails (the driver removes what it created).
//  * Create* fails with AlreadyExists for a name in use; Remove* with NotFound
//    for a missing name, so callers can treat both as idempotent.
//  * Open returns a new descriptor the caller owns and must close.
//  * ChangedRanges answers the byte ranges that may differ between snapshot
//    `from` and `to` (a later snapshot or the live volume); std::nullopt when
//    this backend cannot tell (the sync then falls back to hashing). The
//    answer may over-report, never under-report. ChangedRangesByRegion is
//    the same answer asked region by region, where the backend can do that
//    cheaply (FIEMAP can, thin_delta cannot: it reads the whole metadata).
//  * Thread-safety: drivers hold no mutable state beyond construction; calls
//    on distinct volumes may run concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace drover::storage {

struct PoolInfo {
  std::string name;
  uint64_t size_bytes = 0;
  uint64_t free_bytes = 0;
};

struct VolumeInfo {
  std::string pool;
  std::string name;
  uint64_t size_bytes = 0;
  uint64_t used_bytes = 0;  // allocated on the backend (sparse files, thin volumes)
  bool snapshot = false;
  std::string origin;  // for snapshots: the volume it was taken of
};

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
  bool operator==(const ByteRange&) const = default;
};

enum class OpenMode { kRead, kReadWrite };

class StorageDriver {
 public:
  virtual ~StorageDriver() = default;

  virtual std::string name() const = 0;
  virtual Result<std::vector<PoolInfo>> ListPools() = 0;
  virtual Result<std::vector<VolumeInfo>> ListVolumes(const std::string& pool) = 0;
  virtual Status CreateVolume(const std::string& pool, const std::string& volume,
                              uint64_t size_bytes) = 0;
  virtual Status RemoveVolume(const std::string& pool, const std::string& volume) = 0;
  // `cow_bytes` sizes a classic LVM snapshot's copy-on-write area; drivers
  // that do not need it ignore it.
  virtual Status CreateSnapshot(const std::string& pool, const std::string& volume,
                                const std::string& snapshot, uint64_t cow_bytes) = 0;
  virtual Status RemoveSnapshot(const std::string& pool, const std::string& snapshot) = 0;
  // The name under which Path, Open, RemoveSnapshot and ChangedRanges find
  // what CreateSnapshot(pool, volume, snapshot) made (the file driver:
  // VOLUME@SNAPSHOT; LVM: the snapshot LV's own name). Pure.
  virtual std::string SnapshotName(const std::string& volume,
                                   const std::string& snapshot) const = 0;
  // Path of the volume or snapshot as a file or block device.
  virtual Result<std::string> Path(const std::string& pool, const std::string& name) = 0;
  virtual Result<int> Open(const std::string& pool, const std::string& name, OpenMode mode) = 0;
  virtual Result<std::optional<std::vector<ByteRange>>> ChangedRanges(const std::string& pool,
                                                                      const std::string& from,
                                                                      const std::string& to) = 0;
  // The ranges of [begin, end) that may differ; called with ascending,
  // non-overlapping regions from one thread at a time.
  using RegionChanges = std::function<Result<std::vector<ByteRange>>(uint64_t begin, uint64_t end)>;
  // std::nullopt where ChangedRanges would answer std::nullopt, or where
  // regions cost as much as the whole (the default).
  virtual Result<std::optional<RegionChanges>> ChangedRangesByRegion(const std::string& pool,
                                                                     const std::string& from,
                                                                     const std::string& to) {
    (void)pool, (void)from, (void)to;
    return std::optional<RegionChanges>();
  }
};

// Names of volumes and snapshots: 1..128 of [A-Za-z0-9+_.-@], not starting
// with '.' or '-'. Refusing '/' keeps every path inside its pool.
Status ValidateName(const std::string& name);

// Merges touching or overlapping ranges; the result is sorted.
std::vector<ByteRange> NormalizeRanges(std::vector<ByteRange> ranges);

}  // namespace drover::storage
