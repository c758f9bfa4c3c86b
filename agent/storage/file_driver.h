// The "file" storage driver: a pool is a directory, a volume a raw (sparse)
// file in it, a snapshot a reflink clone named VOLUME@SNAPSHOT beside it
// (a full copy, with a warning, where the file system cannot reflink).
// Changed ranges come from comparing FIEMAP physical extents, which works
// between two snapshots and between a snapshot and its live volume, as long
// as the snapshot was a reflink; for copied snapshots (marked with an
// extended attribute) and file systems without FIEMAP the answer is nullopt.
// Pools are named at construction (name → directory). With
// `immutable_snapshots`, every snapshot gets FS_IMMUTABLE_FL (nothing can
// change it, not even by mistake, and a sync may trust the extent map
// recorded for it: extent_record.h); removing a snapshot clears the flag
// first. See storage_driver.h for the general contract; thread-safe.
#pragma once

#include <map>
#include <string>

#include "agent/storage/storage_driver.h"

namespace drover::storage {

struct FileDriverOptions {
  bool immutable_snapshots = false;
};

class FileDriver : public StorageDriver {
 public:
  explicit FileDriver(std::map<std::string, std::string> pools, FileDriverOptions options = {})
      : pools_(std::move(pools)), options_(options) {}

  std::string name() const override { return "file"; }
  Result<std::vector<PoolInfo>> ListPools() override;
  Result<std::vector<VolumeInfo>> ListVolumes(const std::string& pool) override;
  Status CreateVolume(const std::string& pool, const std::string& volume,
                      uint64_t size_bytes) override;
  Status RemoveVolume(const std::string& pool, const std::string& volume) override;
  Status CreateSnapshot(const std::string& pool, const std::string& volume,
                        const std::string& snapshot, uint64_t cow_bytes) override;
  Status RemoveSnapshot(const std::string& pool, const std::string& snapshot) override;
  // VOLUME@SNAPSHOT, the file name of a snapshot.
  std::string SnapshotName(const std::string& volume, const std::string& snapshot) const override;
  Result<std::string> Path(const std::string& pool, const std::string& name) override;
  Result<int> Open(const std::string& pool, const std::string& name, OpenMode mode) override;
  Result<std::optional<std::vector<ByteRange>>> ChangedRanges(const std::string& pool,
                                                              const std::string& from,
                                                              const std::string& to) override;
  Result<std::optional<RegionChanges>> ChangedRangesByRegion(const std::string& pool,
                                                             const std::string& from,
                                                             const std::string& to) override;

 private:
  Result<std::string> PoolDir(const std::string& pool) const;
  Status RemoveFile(const std::string& pool, const std::string& name);
  std::map<std::string, std::string> pools_;
  FileDriverOptions options_;
};

}  // namespace drover::storage
