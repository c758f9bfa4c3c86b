// Discover, part 1: parallel XXH3 chunk hashing of a volume.
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

// Hashes every chunk of `fd`.
Result<std::vector<Digest>> HashAllChunks(int fd, const Layout& layout, int threads,
                                          const std::atomic<bool>* cancel = nullptr);

// Re-hashes only `chunks` (indices, any order) into `digests` (sized to the
// layout's chunk count).
Status HashSomeChunks(int fd, const Layout& layout, const std::vector<uint64_t>& chunks,
                      std::vector<Digest>& digests, int threads,
                      const std::atomic<bool>* cancel = nullptr);

}  // namespace drover::sync
