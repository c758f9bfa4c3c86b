// Cloning a file: a reflink (FICLONE) where the file system shares blocks
// (XFS with reflink=1, btrfs), a full copy otherwise.
//
// CloneFile creates `dst` exclusively (AlreadyExists if present). On any
// failure `dst` is removed. Returns true when the clone shares blocks, false
// when it fell back to copying (and logs a warning: a snapshot by copy takes
// time and space, and it is not crash-consistent while the source is written).
#pragma once

#include <string>

#include "common/status.h"

namespace drover::storage {

Result<bool> CloneFile(const std::string& src, const std::string& dst);

}  // namespace drover::storage
