// Stage 2 on the source: what to send for one changed chunk.
//
// The destination sent the 64-bit digests of its blocks in the chunk; the
// source compares them with its own blocks and coalesces changed blocks into
// runs. A run shorter than `rsync_min_bytes` goes as a zstd-packed literal
// (for a run of one block librsync could only answer with the same literal);
// longer runs are marked for librsync (the destination will send their
// signatures, EncodeRuns answers with deltas). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "agent/sync/hash.h"
#include "agent/sync/message.h"

namespace drover::sync {

struct EncodeOptions {
  uint32_t block_size = 4096;
  uint32_t rsync_min_bytes = 8192;  // 0: never librsync, always literals
  int zstd_level = 1;
};

// The BlockKey of every block of `chunk`.
std::vector<uint64_t> BlockKeys(std::span<const uint8_t> chunk, uint32_t block_size);
// The BlockKeys of digests already known.
std::vector<uint64_t> BlockKeys(std::span<const Digest> block_digests);

// Fills data.literals and data.runs; returns the changed bytes (uncompressed).
uint64_t PlanChunk(std::span<const uint8_t> source_chunk, const std::vector<uint64_t>& dest_blocks,
                   const EncodeOptions& options, Data& data);

// Like PlanChunk, for a source that holds the digests of its blocks: only
// the bytes of the blocks `changed` marks need to be valid in
// `source_chunk` (the rest is never read).
uint64_t PlanBlocks(std::span<const uint8_t> source_chunk, const std::vector<bool>& changed,
                    const EncodeOptions& options, Data& data);

// Like PlanChunk, for a source that knows what changed: `changed` are the
// byte ranges (relative to the chunk, any order) the change list names; they
// are widened to whole blocks.
uint64_t PlanChangedRanges(std::span<const uint8_t> source_chunk, const std::vector<Span>& changed,
                           const EncodeOptions& options, Data& data);

// One packed librsync delta per run, against the destination's signatures.
Result<std::vector<Packed>> EncodeRuns(std::span<const uint8_t> source_chunk,
                                       const std::vector<Span>& runs,
                                       const std::vector<std::vector<uint8_t>>& signatures,
                                       int zstd_level);

}  // namespace drover::sync
