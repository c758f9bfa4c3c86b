// Content hashes for the sync engine: the only file that includes <xxhash.h>.
//
// Chunks are identified by a 128-bit XXH3 digest, 4 KiB blocks inside a chunk
// by a 64-bit XXH3 digest, and a whole volume by the XXH3-128 of its chunk
// digests in order (so a cached list of chunk digests yields the volume hash
// without reading the volume again). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace drover::sync {

struct Digest {
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool operator==(const Digest&) const = default;
  std::string Hex() const;
};

Digest HashChunk(std::span<const uint8_t> data);
uint64_t HashBlock(std::span<const uint8_t> data);
uint64_t HashString(std::string_view s);

// The volume content hash: XXH3-128 over the chunk digests (lo, hi little-endian).
Digest HashDigestList(std::span<const Digest> digests);

}  // namespace drover::sync
