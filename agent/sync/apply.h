// Stage 4 on the destination: rebuild one chunk and check it.
//
// ChunkPatch takes the destination's old bytes of a chunk and rebuilds the
// new bytes: literals are unpacked into place; a librsync run is patched
// from a copy of its old bytes into a separate buffer, never in place
// (librsync reads its basis at random positions). Literals and runs never
// overlap, so a run's old bytes are intact until it is patched. The receiver
// compares the result's digest with the source's; only a verified chunk is
// written. Every malformed input (a literal out of bounds, a bad zstd
// frame, a delta that does not fit) is an InvalidArgument that the receiver
// answers by asking for the chunk again. Not thread-safe; one per chunk.
#pragma once

#include <cstdint>
#include <vector>

#include "agent/sync/hash.h"
#include "agent/sync/message.h"

namespace drover::sync {

class ChunkPatch {
 public:
  explicit ChunkPatch(std::vector<uint8_t> old_bytes);

  Status ApplyLiterals(const std::vector<Literal>& literals);
  // Signatures of the old bytes of each run, for the source's deltas.
  Result<std::vector<std::vector<uint8_t>>> Signatures(const std::vector<Span>& runs,
                                                       uint32_t block_size) const;
  Status ApplyDeltas(const std::vector<Span>& runs, const std::vector<Packed>& deltas);

  const std::vector<uint8_t>& bytes() const { return new_; }
  // The spans that literals and deltas rewrote: all that must be written
  // (writing less keeps reflinked destinations shared and writes fast).
  const std::vector<Span>& dirty() const { return dirty_; }

 private:
  Status CheckSpan(uint32_t offset, uint32_t length) const;
  std::span<const uint8_t> Old(const Span& run) const {
    return std::span<const uint8_t>(new_).subspan(run.offset, run.length);
  }
  std::vector<uint8_t> new_;
  std::vector<Span> dirty_;
};

}  // namespace drover::sync
