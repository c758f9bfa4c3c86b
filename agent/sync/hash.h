// Content hashes for the sync engine: the only file that includes <xxhash.h>.
//
// Digests form a two-level tree (data protocol 2): each block (4 KiB; the
// last may be partial) has an XXH3-128 digest; a chunk's digest is the
// XXH3-128 of its block digests in order; the volume's content hash is the
// XXH3-128 of its chunk digests in order. So a side that knows which blocks
// changed and holds the others' digests (cache) derives a chunk's digest by
// hashing only the changed blocks, and a cached list of chunk digests yields
// the volume hash without reading the volume. Requests name a destination's
// blocks by a 64-bit XXH3 digest (HashBlock). Pure functions, thread-safe.
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

// The digests of one volume: one per chunk and one per block (block i of
// the volume is bytes [i * block_size, ...); see Layout::FirstBlock).
struct VolumeDigests {
  std::vector<Digest> chunks;
  std::vector<Digest> blocks;
};

// The digest of one block's bytes (a tree leaf).
Digest HashBlockDigest(std::span<const uint8_t> block);
// A chunk's digest: its blocks of `block_size` bytes (the last may be
// shorter) hashed, then combined. If `blocks` is given, the block digests are
// stored there (it must have room for every block of the chunk).
Digest HashChunk(std::span<const uint8_t> data, uint32_t block_size, Digest* blocks = nullptr);
// What a Request carries per block: the low half of its block digest, so
// that either side can answer from digests it already holds.
inline uint64_t BlockKey(const Digest& block_digest) { return block_digest.lo; }
uint64_t HashString(std::string_view s);

// XXH3-128 over a list of digests (lo, hi little-endian): a chunk's digest
// from its block digests, and the volume content hash from chunk digests.
Digest HashDigestList(std::span<const Digest> digests);

// The byte form HashDigestList hashes (16 bytes a digest: lo, hi, each
// little-endian), for storing digest lists. `out` has room for all of them.
void PackDigests(std::span<const Digest> digests, uint8_t* out);
void UnpackDigests(const uint8_t* in, std::span<Digest> out);

}  // namespace drover::sync
