// Volumes this agent retired: a guest moved away and its disk stayed here,
// kept rather than deleted (DESIGN "Cutover" step 6). One JSON line per
// event in STATE_DIR/retired-volumes.jsonl, appended and never rewritten, so
// that an operator can read the history: a retirement
// {volume, reason, guest?, retired_at} or a purge {volume, purged_at} (an
// operator removed the copy; its retirement no longer counts).
//
// A volume counts as retired while its latest event is a retirement and no
// guest of this host uses it: when a guest comes back to a host that kept its
// old copy, the sync updates that copy in place (sending only what differs),
// and once the guest is defined here again the volume is simply in use.
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "common/status.h"

namespace drover::agent {

class RetiredVolumes {
 public:
  explicit RetiredVolumes(std::string state_dir);

  // Appends {volume, reason, guest (when given), retired_at} and returns it.
  // `guest` names the guest that used the volume and now runs elsewhere: a
  // purge checks that it still does before the copy goes.
  Result<nlohmann::json> Record(const std::string& volume, const std::string& reason,
                                const std::string& guest = "");

  // Appends {volume, purged_at}: the copy is gone.
  Status Purged(const std::string& volume);

  // The latest retirement record of each volume not purged since. A line
  // that is not a record (a torn write after a crash) is skipped with a
  // warning naming the line.
  std::map<std::string, nlohmann::json> Current() const;
  std::set<std::string> Names() const;

 private:
  Status Append(const nlohmann::json& record);

  std::string path_;
  mutable std::mutex mu_;
};

}  // namespace drover::agent
