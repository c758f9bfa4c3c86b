// A real XFS (reflink=1) on a loop device for the file driver tests, made
// once per test binary as root and always torn down. When it cannot be
// made (not root, no loop devices, no mkfs.xfs) `why_not()` says why and
// the tests skip with that reason.
#pragma once

#include <string>

namespace drover::storage::testing {

class XfsMount {
 public:
  // Makes an XFS of `size_mib` MiB (sparse; XFS needs at least 300) mounted
  // on a fresh directory.
  explicit XfsMount(int size_mib);
  ~XfsMount();
  bool ok() const { return why_not_.empty(); }
  const std::string& why_not() const { return why_not_; }
  const std::string& dir() const { return mount_dir_; }

 private:
  std::string image_, loop_, mount_dir_, why_not_;
  bool mounted_ = false;
};

}  // namespace drover::storage::testing
