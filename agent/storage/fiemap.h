// Changed ranges of reflinked files from their FIEMAP physical extents.
//
// Two files cloned with FICLONE share physical extents; a write to either
// moves the written range to new physical blocks (copy on write). So a
// logical range whose physical location differs between the files, or that
// is mapped in one and a hole in the other, has changed; a range at the same
// physical place in both has not. Extents the kernel cannot place precisely
// (delalloc, unknown, inline, encoded) count as changed. Files are fsynced
// first (FIEMAP_FLAG_SYNC) so delayed allocation is settled.
// Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/storage/storage_driver.h"

namespace drover::storage {

struct Extent {
  uint64_t logical = 0;
  uint64_t physical = 0;
  uint64_t length = 0;
  bool exact = true;   // false for delalloc/unknown/inline/encoded extents
  bool shared = false;
};

// InvalidArgument when the file system has no FIEMAP (tmpfs, for one).
Result<std::vector<Extent>> ReadExtents(int fd);

// Pure comparison of two extent maps over [0, size).
std::vector<ByteRange> DiffExtents(const std::vector<Extent>& a, const std::vector<Extent>& b,
                                   uint64_t size);

// Opens both files, reads their extents and compares them over the larger
// size. FailedPrecondition-like InvalidArgument when either file is not a
// regular file.
Result<std::vector<ByteRange>> ChangedRangesBetweenReflinks(const std::string& a,
                                                            const std::string& b);

}  // namespace drover::storage
