#include "agent/daemon/retired_volumes.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>

namespace drover::agent {
namespace {

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

RetiredVolumes::RetiredVolumes(std::string state_dir)
    : path_(std::move(state_dir) + "/retired-volumes.jsonl") {}

Status RetiredVolumes::Append(const nlohmann::json& record) {
  std::lock_guard lock(mu_);
  std::ofstream out(path_, std::ios::app);
  out << record.dump() << "\n";
  if (!out.flush()) return IoError("cannot write " + path_);
  return Status::Ok();
}

Result<nlohmann::json> RetiredVolumes::Record(const std::string& volume, const std::string& reason,
                                              const std::string& guest) {
  nlohmann::json record = {{"volume", volume}, {"reason", reason}, {"retired_at", NowSeconds()}};
  if (!guest.empty()) record["guest"] = guest;
  RETURN_IF_ERROR(Append(record));
  return record;
}

Status RetiredVolumes::Purged(const std::string& volume) {
  return Append({{"volume", volume}, {"purged_at", NowSeconds()}});
}

std::map<std::string, nlohmann::json> RetiredVolumes::Current() const {
  std::map<std::string, nlohmann::json> current;
  std::lock_guard lock(mu_);
  std::ifstream in(path_);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    auto record = nlohmann::json::parse(line, nullptr, false);
    if (!record.is_object() || !record.contains("volume") || !record["volume"].is_string()) {
      if (!line.empty()) spdlog::warn("{} line {}: not a retirement record; skipped", path_, n);
      continue;
    }
    std::string volume = record["volume"];
    if (record.contains("purged_at")) {
      current.erase(volume);
    } else {
      current[volume] = std::move(record);
    }
  }
  return current;
}

std::set<std::string> RetiredVolumes::Names() const {
  std::set<std::string> names;
  for (const auto& [volume, record] : Current()) names.insert(volume);
  return names;
}

}  // namespace drover::agent
