// Fixed-offset geometry of a volume for the sync engine: chunks (the unit of
// comparison, transfer, verification and resume) and blocks (the unit of
// change inside a chunk). Block devices do not shift data, so fixed offsets
// find every change. The last chunk and last block may be partial.
#pragma once

#include <algorithm>
#include <cstdint>

namespace drover::sync {

inline constexpr uint32_t kDefaultChunkSize = 64 * 1024;
inline constexpr uint32_t kDefaultBlockSize = 4 * 1024;

struct Layout {
  uint64_t size = 0;
  uint32_t chunk_size = kDefaultChunkSize;
  uint32_t block_size = kDefaultBlockSize;

  uint64_t chunk_count() const { return (size + chunk_size - 1) / chunk_size; }
  uint64_t ChunkOffset(uint64_t chunk) const { return chunk * chunk_size; }
  uint32_t ChunkLength(uint64_t chunk) const {
    return static_cast<uint32_t>(std::min<uint64_t>(chunk_size, size - ChunkOffset(chunk)));
  }
  uint64_t block_count() const { return (size + block_size - 1) / block_size; }
  uint32_t blocks_per_chunk() const { return chunk_size / block_size; }
  // Index of the chunk's first block in the volume's block list.
  uint64_t FirstBlock(uint64_t chunk) const { return chunk * blocks_per_chunk(); }
  uint32_t BlocksIn(uint64_t chunk) const {
    return static_cast<uint32_t>((ChunkLength(chunk) + block_size - 1) / block_size);
  }
  uint32_t BlockLength(uint64_t block) const {
    return static_cast<uint32_t>(std::min<uint64_t>(block_size, size - block * block_size));
  }
  bool operator==(const Layout&) const = default;
  // Valid when chunk size is a non-zero multiple of a non-zero block size.
  bool Valid() const {
    return chunk_size > 0 && block_size > 0 && chunk_size % block_size == 0 &&
           chunk_size <= (16u << 20);
  }
};

}  // namespace drover::sync
