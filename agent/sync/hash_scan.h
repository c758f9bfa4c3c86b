// Discover, part 1: parallel XXH3 hashing of a volume's chunks and their
// blocks (hash.h: a chunk's digest is the digest of its block digests).
//
// Reads with pread into per-thread buffers (never mmap, so the page cache
// does not count against the agent's RSS). `threads` workers take batches of
// chunks from a shared counter. Fails with the first read error; the output
// is then incomplete and must be discarded. Blocking; safe to call from any
// thread; `cancel` (if given) stops the scan early with kAborted.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "agent/sync/hash.h"
#include "agent/sync/layout.h"
#include "common/status.h"

namespace drover::sync {

// Hashes every chunk and block of `fd`.
Result<VolumeDigests> HashAllChunks(int fd, const Layout& layout, int threads,
                                    const std::atomic<bool>* cancel = nullptr);

// Re-hashes only `chunks` (indices, any order) and their blocks into
// `digests` (sized to the layout's chunk and block counts).
Status HashSomeChunks(int fd, const Layout& layout, const std::vector<uint64_t>& chunks,
                      VolumeDigests& digests, int threads,
                      const std::atomic<bool>* cancel = nullptr);

// Re-hashes only `blocks` (volume block indices, sorted, unique) into
// digests.blocks, reading runs of neighbouring blocks together, then derives
// the digests of the chunks they lie in from their block digests (the other
// blocks' digests must already be true to the volume). Up to `threads`
// workers share a long list.
Status HashSomeBlocks(int fd, const Layout& layout, const std::vector<uint64_t>& blocks,
                      VolumeDigests& digests, int threads = 1);

}  // namespace drover::sync
