#include "agent/daemon/retired_volumes.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>

namespace drover::agent {

RetiredVolumes::RetiredVolumes(std::string state_dir)
    : path_(std::move(state_dir) + "/retired-volumes.jsonl") {}

Result<nlohmann::json> RetiredVolumes::Record(const std::string& volume,
                                              const std::string& reason) {
  nlohmann::json record = {{"volume", volume},
                           {"reason", reason},
                           {"retired_at", std::chrono::duration_cast<std::chrono::seconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count()}};
  std::lock_guard lock(mu_);
  std::ofstream out(path_, std::ios::app);
  out << record.dump() << "\n";
  if (!out.flush()) return Err(IoError("cannot write " + path_));
  return record;
}

std::set<std::string> RetiredVolumes::Names() const {
  std::set<std::string> names;
  std::lock_guard lock(mu_);
  std::ifstream in(path_);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    auto record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_object() && record.contains("volume") && record["volume"].is_string()) {
      names.insert(record["volume"].get<std::string>());
    } else if (!line.empty()) {
      spdlog::warn("{} line {}: not a retirement record; skipped", path_, n);
    }
  }
  return names;
}

}  // namespace drover::agent
