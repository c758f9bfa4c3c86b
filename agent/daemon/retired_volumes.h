// Volumes this agent retired: a guest moved away and its disk stayed here,
// kept rather than deleted (DESIGN "Cutover" step 6). One JSON line per
// retirement in STATE_DIR/retired-volumes.jsonl, appended and never
// rewritten, so that an operator can read the history.
//
// A volume counts as retired while it has a record and no guest of this host
// uses it: when a guest comes back to a host that kept its old copy, the sync
// updates that copy in place (sending only what differs), and once the guest
// is defined here again the volume is simply in use. Thread-safe.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "common/status.h"

namespace drover::agent {

class RetiredVolumes {
 public:
  explicit RetiredVolumes(std::string state_dir);

  // Appends {volume, reason, retired_at} and returns it.
  Result<nlohmann::json> Record(const std::string& volume, const std::string& reason);

  // Every volume name with a record. A line that is not a record (a torn
  // write after a crash) is skipped with a warning naming the line.
  std::set<std::string> Names() const;

 private:
  std::string path_;
  mutable std::mutex mu_;
};

}  // namespace drover::agent
