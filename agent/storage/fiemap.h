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
#include <string>
#include <vector>

#include "agent/storage/storage_driver.h"

namespace drover::storage {

struct Extent {
  uint64_t logical = 0;
  uint64_t physical = 0;
  uint64_t length = 0;
  bool exact = true;  // false for delalloc/unknown/inline/encoded extents
  bool shared = false;
};

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
class ReflinkDiff {
 public:
  static Result<std::unique_ptr<ReflinkDiff>> Open(const std::string& a, const std::string& b);
  ~ReflinkDiff();
  ReflinkDiff(const ReflinkDiff&) = delete;
  ReflinkDiff& operator=(const ReflinkDiff&) = delete;

  uint64_t size() const { return size_; }  // the larger file's
  // The ranges of [begin, end) (clipped to size()) that differ.
  Result<std::vector<ByteRange>> ChangedIn(uint64_t begin, uint64_t end);

 private:
  ReflinkDiff() = default;
  int fds_[2] = {-1, -1};
  std::string names_[2];
  uint64_t size_ = 0;
  bool synced_ = false;
};

}  // namespace drover::storage
