// Cloning a file: a reflink (FICLONE) where the file system shares blocks
// (XFS with reflink=1, btrfs), a full copy otherwise.
//
// CloneFile creates `dst` exclusively (AlreadyExists if present). On any
// failure `dst` is removed. Returns true when the clone shares blocks, false
// when it fell back to copying (and logs a warning: a snapshot by copy takes
// time and space, and it is not crash-consistent while the source is written).
// A copy is marked with the extended attribute kCopyMarker (where the file
// system has extended attributes), so that nobody reads change lists from
// the physical placement of its blocks.
#pragma once

#include <string>

#include "common/status.h"

namespace drover::storage {

inline constexpr char kCopyMarker[] = "user.drover.copied";

Result<bool> CloneFile(const std::string& src, const std::string& dst);

// True when `path` carries kCopyMarker.
bool IsMarkedCopy(const std::string& path);

}  // namespace drover::storage
