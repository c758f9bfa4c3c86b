// The figures of one disk round of a cutover (every volume synced once):
// summed from the source agents' sync reports. A plain value.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace drover::cutover {

struct Round {
  uint64_t bytes_sent = 0, bytes_changed = 0;
  double seconds = 0;
  std::vector<uint64_t> volume_bytes;  // per volume, as the transfer sized it
  std::string discovery;               // how the source found changes; "mixed" when volumes differ

  // Adds one volume's source report (agent/sync/report.h as JSON).
  void Add(const nlohmann::json& source_report) {
    bytes_sent += source_report.value("bytes_sent", uint64_t{0});
    bytes_changed += source_report.value("bytes_changed", uint64_t{0});
    std::string d = source_report.value("discovery", "");
    discovery = discovery.empty() || discovery == d ? d : "mixed";
  }
  nlohmann::json ToJson(int k) const {
    return {{"round", k},
            {"bytes_sent", bytes_sent},
            {"bytes_changed", bytes_changed},
            {"seconds", seconds},
            {"discovery", discovery}};
  }
};

}  // namespace drover::cutover
