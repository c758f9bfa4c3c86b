// Discover, part 2: chunk and block digests persisted between sync rounds,
// so that data which did not change is not read again (and a chunk with a
// few changed blocks is re-hashed by reading only those blocks).
//
// A cache entry belongs to one file and is valid only while that file's
// identity is unchanged: device, inode, size, mtime and ctime in
// nanoseconds (any write through the file system moves mtime/ctime). Block
// devices have no such witness, so their entries carry a caller-provided tag
// (for example an LV UUID plus snapshot name) and are trusted only with one.
// Entries live in `cache_dir` under a name derived from the file's path.
// Loading a missing, stale, foreign or damaged entry returns NotFound (the
// caller rehashes). Entries are overwritten in place; a torn entry fails its
// checksum, so Load never returns a mix of two. Not thread-safe per entry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/sync/hash.h"
#include "agent/sync/layout.h"
#include "common/status.h"

namespace drover::sync {

struct FileIdentity {
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t mtime_ns = 0, ctime_ns = 0;
  std::string tag;  // required for block devices, optional otherwise
  bool block_device = false;
  bool operator==(const FileIdentity&) const = default;
};

Result<FileIdentity> IdentifyFile(int fd, const std::string& tag = "");

class HashCache {
 public:
  // An empty `cache_dir` disables the cache (every Load is NotFound).
  explicit HashCache(std::string cache_dir) : dir_(std::move(cache_dir)) {}

  bool enabled() const { return !dir_.empty(); }
  std::string EntryPath(const std::string& volume_path) const;

  // The digests of `volume_path` if its entry matches `id` and `layout`.
  Result<VolumeDigests> Load(const std::string& volume_path, const FileIdentity& id,
                             const Layout& layout) const;
  // The layout `volume_path`'s entry was stored with, if it has one: what
  // a caller that does not know the layout yet passes to Load.
  Result<Layout> StoredLayout(const std::string& volume_path) const;
  // Entries are written without fsync: a lost or torn entry fails its
  // checksum or identity on Load, which only costs a re-hash. Store before
  // the volume's own writes are durable would let a crash keep an entry
  // whose identity survived but whose data did not: callers store after.
  Status Store(const std::string& volume_path, const FileIdentity& id, const Layout& layout,
               const VolumeDigests& digests) const;
  void Remove(const std::string& volume_path) const;

 private:
  std::string dir_;
};

}  // namespace drover::sync
