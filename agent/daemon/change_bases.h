// The change-tracking bases of the source side of volume syncs: for each
// (volume, destination) the snapshot of the last verified send, kept so that
// the next send asks the storage driver what changed since it (FIEMAP between
// reflinks, thin_delta) instead of hashing the whole volume (DESIGN "Data
// path", change discovery).
//
// The table lives in STATE_DIR/change-bases.json, so an agent restart keeps
// its bases. Each call reads and rewrites that file under a process-wide
// lock: the transfer service (which sets bases) and the guest service (which
// drops them when a volume is retired or removed) share it without sharing
// an object. A lost or damaged file only costs a rehash: every operation
// treats it as empty (and says so in the log). The table never touches
// snapshots itself; callers remove what Set and Drop hand back.
// Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace drover::agent {

class ChangeBases {
 public:
  // An empty `state_dir` keeps nothing (every Get is nullopt).
  explicit ChangeBases(std::string state_dir);

  // The base snapshot (the driver's full snapshot name) of `volume` for the
  // destination agent named by its public key, if any.
  std::optional<std::string> Get(const std::string& volume, const std::string& dest) const;

  // Records `snapshot` as the new base; returns the one it replaces.
  Result<std::optional<std::string>> Set(const std::string& volume, const std::string& dest,
                                         const std::string& snapshot);

  // Forgets the base of (volume, dest) only if it is still `snapshot`.
  Status Forget(const std::string& volume, const std::string& dest, const std::string& snapshot);

  // Forgets every base of `volume`; returns their snapshots.
  Result<std::vector<std::string>> Drop(const std::string& volume);

  // Every base snapshot in the table.
  std::vector<std::string> Snapshots() const;

 private:
  std::string path_;
};

}  // namespace drover::agent
