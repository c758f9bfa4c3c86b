// Resume point of a destination: every chunk below `next_chunk` of the
// target holds the source snapshot `source_id`'s bytes, verified by hash and
// flushed (fdatasync) before the point was written. A later sync of the same
// source snapshot to the same target starts there instead of at zero.
//
// Stored as JSON in STATE_DIR/<hash of target path>.resume, written
// atomically. A missing, foreign or unreadable file means "start at zero".
// Not thread-safe per target; one receiver owns a target at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"

namespace drover::sync {

struct ResumePoint {
  std::string source_id;
  uint64_t size = 0;
  uint32_t chunk_size = 0;
  uint64_t next_chunk = 0;
  // Hex XXH3-128 over the source's chunk digests [0, next_chunk): a resumed
  // session checks it, so a source_id reused for other content cannot make
  // the destination skip chunks that differ.
  std::string prefix_digest;
};

class ResumeStore {
 public:
  // An empty `state_dir` disables persistence.
  explicit ResumeStore(std::string state_dir) : dir_(std::move(state_dir)) {}

  std::optional<ResumePoint> Load(const std::string& target_path) const;
  Status Save(const std::string& target_path, const ResumePoint& point) const;
  void Clear(const std::string& target_path) const;

 private:
  std::string PathFor(const std::string& target_path) const;
  std::string dir_;
};

}  // namespace drover::sync
