#include "agent/sync/resume_state.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "agent/sync/hash.h"
#include "common/file_io.h"

namespace drover::sync {

std::string ResumeStore::PathFor(const std::string& target_path) const {
  char name[40];
  std::snprintf(name, sizeof name, "%016llx.resume",
                static_cast<unsigned long long>(HashString(target_path)));
  return dir_ + "/" + name;
}

std::optional<ResumePoint> ResumeStore::Load(const std::string& target_path) const {
  if (dir_.empty()) return std::nullopt;
  auto raw = ReadWholeFile(PathFor(target_path));
  if (!raw) return std::nullopt;
  auto j = nlohmann::json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("target", "") != target_path) return std::nullopt;
  ResumePoint p;
  p.source_id = j.value("source_id", "");
  p.size = j.value("size", uint64_t{0});
  p.chunk_size = j.value("chunk_size", uint32_t{0});
  p.next_chunk = j.value("next_chunk", uint64_t{0});
  p.prefix_digest = j.value("prefix_digest", "");
  return p;
}

Status ResumeStore::Save(const std::string& target_path, const ResumePoint& point) const {
  if (dir_.empty()) return Status::Ok();
  RETURN_STATUS_IF_ERROR(MakeDirs(dir_));
  nlohmann::json j = {{"version", 1},
                      {"target", target_path},
                      {"source_id", point.source_id},
                      {"size", point.size},
                      {"chunk_size", point.chunk_size},
                      {"next_chunk", point.next_chunk},
                      {"prefix_digest", point.prefix_digest}};
  std::string text = j.dump() + "\n";
  return WriteFileAtomic(
      PathFor(target_path),
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

void ResumeStore::Clear(const std::string& target_path) const {
  if (!dir_.empty()) ::unlink(PathFor(target_path).c_str());
}

}  // namespace drover::sync
