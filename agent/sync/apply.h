// Stage 4 on the destination: rebuild one chunk and check it.
//
// ChunkPatch holds the destination's old bytes of a chunk (the basis) and
// builds the new bytes in a separate buffer: literals are unpacked into
// place, librsync runs are patched from the basis (never in place). Verify
// compares the result with the source's chunk digest; only a verified chunk
// is written. Every malformed input (a literal out of bounds, a bad zstd
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

  bool Matches(const Digest& expected) const { return HashChunk(new_) == expected; }
  const std::vector<uint8_t>& bytes() const { return new_; }

 private:
  Status CheckSpan(uint32_t offset, uint32_t length) const;
  std::vector<uint8_t> old_;
  std::vector<uint8_t> new_;
};

}  // namespace drover::sync
