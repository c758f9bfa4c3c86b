// Changed ranges of reflinked files from their FIEMAP physical extents.
//
// Two files cloned with FICLONE share physical extents; a write to either
// moves the written range to new physical blocks (copy on write). So a
// logical range whose physical location differs between the files, or that
// is mapped in one and a hole in the other, has changed; a range at the same
// physical place in both has not. Extents the kernel cannot place precisely
// (delalloc, unknown, inline, encoded) count as changed. Files are fsynced
// first (FIEMAP_FLAG_SYNC) so delayed allocation is settled.
// ReadExtents and DiffExtents are stateless and thread-safe; a ReflinkDiff
// (InvalidArgument from Open when either file is not a regular file) is for
// one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/storage/extent.h"
#include "agent/storage/extent_record.h"
#include "agent/storage/storage_driver.h"

namespace drover::storage {

// The extents overlapping [begin, end) (the first and last may reach
// beyond). `sync` flushes the file first. InvalidArgument when the file
// system has no FIEMAP (tmpfs, for one).
Result<std::vector<Extent>> ReadExtents(int fd, uint64_t begin = 0, uint64_t end = UINT64_MAX,
                                        bool sync = true);

// Pure comparison of two extent maps over [0, size), or [begin, end).
std::vector<ByteRange> DiffExtents(const std::vector<Extent>& a, const std::vector<Extent>& b,
                                   uint64_t size);
std::vector<ByteRange> DiffExtents(const std::vector<Extent>& a, const std::vector<Extent>& b,
                                   uint64_t begin, uint64_t end);

// Two open reflinked files compared region by region: FIEMAP costs a few
// microseconds an extent (XFS looks up each extent's sharing), seconds for
// a large, often-written volume, so a sync asks for the changes of the
// region it is about to hash while it sends the regions before.
//
// Immutable files (extent_record.h) save half of that. The base `a` is not
// asked at all if a valid record of its map exists (its identity is checked
// again at every region, and a region where it no longer holds fails, which
// a sync answers by hashing the region). The newer file `b`, if immutable,
// gets its map recorded when the regions asked have covered it from 0 to
// the end without a gap, for the round that will use it as its base.
class ReflinkDiff {
 public:
  static Result<std::unique_ptr<ReflinkDiff>> Open(const std::string& a, const std::string& b);
  ~ReflinkDiff();
  ReflinkDiff(const ReflinkDiff&) = delete;
  ReflinkDiff& operator=(const ReflinkDiff&) = delete;

  uint64_t size() const { return size_; }  // the larger file's
  // The ranges of [begin, end) (clipped to size()) that differ.
  Result<std::vector<ByteRange>> ChangedIn(uint64_t begin, uint64_t end);
  // Whether a's map came from its record (so far), and whether b's was
  // recorded.
  bool base_from_record() const { return base_record_.has_value(); }
  bool recorded() const { return recorded_; }

 private:
  ReflinkDiff() = default;
  // a's extents for [begin, end): its record, or FIEMAP into `fresh`.
  Result<const std::vector<Extent>*> BaseExtents(uint64_t begin, uint64_t end,
                                                 std::vector<Extent>& fresh);
  void Accumulate(uint64_t begin, uint64_t end, const std::vector<Extent>& extents);

  int fds_[2] = {-1, -1};
  std::string names_[2];
  uint64_t size_ = 0;
  bool synced_ = false;
  std::optional<std::vector<Extent>> base_record_;  // a's recorded map
  ImmutableIdentity base_id_;                       // what base_record_ is for
  std::optional<ImmutableIdentity> new_id_;         // b's, while its map can be recorded
  std::vector<Extent> new_map_;                     // b's extents from 0 to new_covered_
  uint64_t new_covered_ = 0, new_asked_to_ = 0;
  bool recorded_ = false;
};

}  // namespace drover::storage
