// One mapping of a file's logical range to physical blocks, as FIEMAP
// reports it (fiemap.h) and as extent records keep it (extent_record.h).
#pragma once

#include <cstdint>

namespace drover::storage {

struct Extent {
  uint64_t logical = 0;
  uint64_t physical = 0;
  uint64_t length = 0;
  bool exact = true;  // false for delalloc/unknown/inline/encoded extents
  bool shared = false;
};

}  // namespace drover::storage
