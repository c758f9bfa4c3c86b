#include "agent/daemon/change_bases.h"

#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/log.h"

namespace drover::agent {
namespace {

// One lock for every table of the process: both services of an agent use
// the same file through objects of their own.
std::mutex& TableMutex() {
  static std::mutex mu;
  return mu;
}

// The rows: [{volume, dest, snapshot}]. Missing or damaged: no rows.
nlohmann::json Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nlohmann::json::array();
  std::stringstream text;
  text << in.rdbuf();
  auto rows = nlohmann::json::parse(text.str(), nullptr, false);
  if (!rows.is_array()) {
    spdlog::warn("{} is damaged: change tracking starts again from hashing", path);
    return nlohmann::json::array();
  }
  return rows;
}

// Written beside and renamed over: a crash leaves the old table or the new
// one. Not fsynced: a table lost to a crash only costs one rehash.
Status Store(const std::string& path, const nlohmann::json& rows) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << rows.dump() << "\n";
    if (!out.flush()) return IoError("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return ErrnoStatus("rename " + tmp + " to " + path, errno);
  }
  return Status::Ok();
}

bool Is(const nlohmann::json& row, const std::string& volume, const std::string& dest) {
  return row.value("volume", "") == volume && row.value("dest", "") == dest;
}

}  // namespace

ChangeBases::ChangeBases(std::string state_dir)
    : path_(state_dir.empty() ? "" : state_dir + "/change-bases.json") {}

std::optional<std::string> ChangeBases::Get(const std::string& volume,
                                            const std::string& dest) const {
  if (path_.empty()) return std::nullopt;
  std::lock_guard lock(TableMutex());
  for (const auto& row : Load(path_)) {
    if (Is(row, volume, dest)) return row.value("snapshot", "");
  }
  return std::nullopt;
}

Result<std::optional<std::string>> ChangeBases::Set(const std::string& volume,
                                                    const std::string& dest,
                                                    const std::string& snapshot) {
  if (path_.empty()) return std::optional<std::string>(snapshot);  // kept nowhere: drop it
  std::lock_guard lock(TableMutex());
  nlohmann::json rows = Load(path_), kept = nlohmann::json::array();
  std::optional<std::string> old;
  for (auto& row : rows) {
    if (Is(row, volume, dest)) {
      old = row.value("snapshot", "");
    } else {
      kept.push_back(std::move(row));
    }
  }
  kept.push_back({{"volume", volume}, {"dest", dest}, {"snapshot", snapshot}});
  RETURN_IF_ERROR(Store(path_, kept));
  return old;
}

Status ChangeBases::Forget(const std::string& volume, const std::string& dest,
                           const std::string& snapshot) {
  if (path_.empty()) return Status::Ok();
  std::lock_guard lock(TableMutex());
  nlohmann::json rows = Load(path_), kept = nlohmann::json::array();
  for (auto& row : rows) {
    if (!(Is(row, volume, dest) && row.value("snapshot", "") == snapshot)) {
      kept.push_back(std::move(row));
    }
  }
  if (kept.size() == rows.size()) return Status::Ok();
  return Store(path_, kept);
}

Result<std::vector<std::string>> ChangeBases::Drop(const std::string& volume) {
  std::vector<std::string> dropped;
  if (path_.empty()) return dropped;
  std::lock_guard lock(TableMutex());
  nlohmann::json rows = Load(path_), kept = nlohmann::json::array();
  for (auto& row : rows) {
    if (row.value("volume", "") == volume) {
      dropped.push_back(row.value("snapshot", ""));
    } else {
      kept.push_back(std::move(row));
    }
  }
  if (!dropped.empty()) RETURN_IF_ERROR(Store(path_, kept));
  return dropped;
}

std::vector<std::string> ChangeBases::Snapshots() const {
  std::vector<std::string> out;
  if (path_.empty()) return out;
  std::lock_guard lock(TableMutex());
  for (const auto& row : Load(path_)) out.push_back(row.value("snapshot", ""));
  return out;
}

}  // namespace drover::agent
