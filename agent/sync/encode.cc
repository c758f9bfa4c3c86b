#include "agent/sync/encode.h"

#include <algorithm>

#include "agent/sync/rsync_codec.h"

namespace drover::sync {

std::vector<uint64_t> BlockKeys(std::span<const uint8_t> chunk, uint32_t block_size) {
  std::vector<uint64_t> out;
  for (size_t off = 0; off < chunk.size(); off += block_size) {
    out.push_back(BlockKey(
        HashBlockDigest(chunk.subspan(off, std::min<size_t>(block_size, chunk.size() - off)))));
  }
  return out;
}

std::vector<uint64_t> BlockKeys(std::span<const Digest> block_digests) {
  std::vector<uint64_t> out(block_digests.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = BlockKey(block_digests[i]);
  return out;
}

namespace {

// Turns a per-block "changed" mask into literals and librsync runs.
uint64_t PlanMask(std::span<const uint8_t> source_chunk, const std::vector<bool>& changed_block,
                  const EncodeOptions& options, Data& data) {
  uint64_t changed = 0;
  size_t i = 0;
  const size_t n = changed_block.size();
  while (i < n) {
    if (!changed_block[i]) {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < n && changed_block[j]) ++j;
    uint32_t off = static_cast<uint32_t>(i * options.block_size);
    uint32_t end = static_cast<uint32_t>(
        std::min<uint64_t>(static_cast<uint64_t>(j) * options.block_size, source_chunk.size()));
    uint32_t len = end - off;
    changed += len;
    if (options.rsync_min_bytes != 0 && len >= options.rsync_min_bytes) {
      data.runs.push_back(Span{off, len});
    } else {
      data.literals.push_back(
          Literal{off, len, Compress(source_chunk.subspan(off, len), options.zstd_level)});
    }
    i = j;
  }
  return changed;
}

size_t BlockCount(size_t bytes, uint32_t block_size) {
  return (bytes + block_size - 1) / block_size;
}

}  // namespace

uint64_t PlanChunk(std::span<const uint8_t> source_chunk, const std::vector<uint64_t>& dest_blocks,
                   const EncodeOptions& options, Data& data) {
  std::vector<uint64_t> mine = BlockKeys(source_chunk, options.block_size);
  const bool comparable = dest_blocks.size() == mine.size();
  std::vector<bool> mask(mine.size());
  for (size_t i = 0; i < mine.size(); ++i) mask[i] = !comparable || mine[i] != dest_blocks[i];
  return PlanMask(source_chunk, mask, options, data);
}

uint64_t PlanBlocks(std::span<const uint8_t> source_chunk, const std::vector<bool>& changed,
                    const EncodeOptions& options, Data& data) {
  return PlanMask(source_chunk, changed, options, data);
}

uint64_t PlanChangedRanges(std::span<const uint8_t> source_chunk, const std::vector<Span>& changed,
                           const EncodeOptions& options, Data& data) {
  std::vector<bool> mask(BlockCount(source_chunk.size(), options.block_size), false);
  for (const Span& s : changed) {
    if (s.length == 0 || s.offset >= source_chunk.size()) continue;
    uint64_t end = std::min<uint64_t>(source_chunk.size(), uint64_t{s.offset} + s.length);
    for (uint64_t b = s.offset / options.block_size; b * options.block_size < end; ++b)
      mask[b] = true;
  }
  return PlanMask(source_chunk, mask, options, data);
}

Result<std::vector<Packed>> EncodeRuns(std::span<const uint8_t> source_chunk,
                                       const std::vector<Span>& runs,
                                       const std::vector<std::vector<uint8_t>>& signatures,
                                       int zstd_level) {
  if (runs.size() != signatures.size()) {
    return Err(InvalidArgument("signature count does not match the runs"));
  }
  std::vector<Packed> out;
  for (size_t k = 0; k < runs.size(); ++k) {
    ASSIGN_OR_RETURN(
        std::vector<uint8_t> delta,
        RsyncDelta(signatures[k], source_chunk.subspan(runs[k].offset, runs[k].length)));
    out.push_back(Compress(delta, zstd_level));
  }
  return out;
}

}  // namespace drover::sync
