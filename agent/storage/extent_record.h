// A recorded FIEMAP extent map of an immutable snapshot file, so that the
// next round's change discovery (which compares the base's map with the new
// snapshot's) calls FIEMAP on one file, not two. FIEMAP costs XFS a sharing
// look-up per extent; for a base with thousands of copy-on-write splits that
// is a third of a change-tracked round's CPU on the source.
//
// Why a record can be trusted: it is only written and only read for a file
// with FS_IMMUTABLE_FL set. The kernel refuses every change to such a file's
// blocks (writes, truncation, clone or dedupe into it, extent swaps), and
// clearing the flag changes its ctime, which the record is keyed on together
// with the device, inode, generation, size and mtime. mtime and ctime alone
// would not do: dedupe remaps blocks without touching either. A record is
// only written when the file's ctime is at least `min_age` old, so that a
// flag cleared within the same coarse clock tick cannot leave ctime equal.
//
// Records live beside the file, in `.drover-extents/` of its directory, and
// are written without fsync: a lost or torn record fails its checksum and
// costs one FIEMAP. All functions are thread-safe for distinct files.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/storage/extent.h"
#include "common/status.h"

namespace drover::storage {

// What a record is valid for: the file as it was when its map was read.
struct ImmutableIdentity {
  uint64_t dev = 0, ino = 0, generation = 0, size = 0;
  int64_t ctime_ns = 0, mtime_ns = 0;
  bool operator==(const ImmutableIdentity&) const = default;
};

inline constexpr std::chrono::seconds kRecordMinAge{1};

// The open file's identity if it is a regular file with FS_IMMUTABLE_FL set;
// nullopt if it is not immutable (or the file system has no such flag).
Result<std::optional<ImmutableIdentity>> IdentifyImmutable(int fd);

// `<dir>/.drover-extents/<name>` for `<dir>/<name>`.
std::string ExtentRecordPath(const std::string& file_path);

// The recorded map, if a record exists for exactly `id` and is intact.
std::optional<std::vector<Extent>> LoadExtentRecord(const std::string& file_path,
                                                    const ImmutableIdentity& id);

// Records `extents` (the whole file's map, read while `id` held); false,
// and nothing written, if the file's ctime is younger than `min_age`.
Result<bool> StoreExtentRecord(const std::string& file_path, const ImmutableIdentity& id,
                               const std::vector<Extent>& extents,
                               std::chrono::nanoseconds min_age = kRecordMinAge);

void RemoveExtentRecord(const std::string& file_path);

// Reads the whole map of an immutable file and records it (what a round
// that did not diff this file, such as a first full sync, can do for the
// next one). Returns whether a record was written; a file that is not
// immutable, or too young, is not recorded and is not an error.
Result<bool> RecordExtentMap(const std::string& file_path,
                             std::chrono::nanoseconds min_age = kRecordMinAge);

}  // namespace drover::storage
