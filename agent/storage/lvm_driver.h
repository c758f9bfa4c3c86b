// The "lvm" storage driver: volumes are LVM logical volumes, run through
// lvm2's tools by argument vector (see command_runner.h).
//
// Pools are named "VG" (classic volumes, classic snapshots of -L COW size)
// or "VG/THINPOOL" (thin volumes and thin snapshots; thin snapshots carry
// the activation-skip flag and are activated with `lvchange -ay -K`).
// Changed ranges: between two thin devices of one pool from `thin_delta` on
// a reserved metadata snapshot, which is always released again, also when
// thin_delta fails; classic snapshots answer nullopt (the sync hashes).
// A classic snapshot that overflowed is reported invalid when opened.
// Commands that fail come back as a Status carrying the command line and
// lvm2's message; a full volume group is an IoError that says so.
// Thread-safe if the runner is.
#pragma once

#include <string>

#include "agent/storage/command_runner.h"
#include "agent/storage/lvm_report.h"
#include "agent/storage/storage_driver.h"

namespace drover::storage {

struct LvmOptions {
  std::string dev_dir = "/dev";  // block devices at DEV/VG/LV and DEV/mapper/...
};

class LvmDriver : public StorageDriver {
 public:
  LvmDriver(CommandRunner& runner, LvmOptions options = {}) : run_(runner), opt_(options) {}

  std::string name() const override { return "lvm"; }
  Result<std::vector<PoolInfo>> ListPools() override;
  Result<std::vector<VolumeInfo>> ListVolumes(const std::string& pool) override;
  Status CreateVolume(const std::string& pool, const std::string& volume,
                      uint64_t size_bytes) override;
  Status RemoveVolume(const std::string& pool, const std::string& volume) override;
  Status CreateSnapshot(const std::string& pool, const std::string& volume,
                        const std::string& snapshot, uint64_t cow_bytes) override;
  Status RemoveSnapshot(const std::string& pool, const std::string& snapshot) override;
  // A snapshot is an LV of its own name in the volume group.
  std::string SnapshotName(const std::string& /*volume*/,
                           const std::string& snapshot) const override {
    return snapshot;
  }
  Result<std::string> Path(const std::string& pool, const std::string& name) override;
  Result<int> Open(const std::string& pool, const std::string& name, OpenMode mode) override;
  Result<std::optional<std::vector<ByteRange>>> ChangedRanges(const std::string& pool,
                                                              const std::string& from,
                                                              const std::string& to) override;

  // Device-mapper name of VG/LV: dashes doubled, joined by one dash.
  static std::string DmName(const std::string& vg, const std::string& lv);

 private:
  struct PoolName {
    std::string vg, thin_pool;
  };
  static Result<PoolName> SplitPool(const std::string& pool);
  Result<CommandResult> Checked(const std::vector<std::string>& argv);
  Result<LvRecord> Lookup(const std::string& vg, const std::string& lv);
  Result<std::vector<ByteRange>> ThinDeltaRanges(const std::string& vg, const std::string& pool,
                                                 uint64_t id1, uint64_t id2);

  CommandRunner& run_;
  LvmOptions opt_;
};

}  // namespace drover::storage
