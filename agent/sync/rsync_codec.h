// Stage 2, delta encoding: the only file that includes <librsync.h>.
//
// In-memory librsync jobs over one changed range at a time (a range is at
// most one chunk, so memory stays bounded): the destination makes a
// Signature of its old bytes, the source a Delta of its new bytes against
// it, and the destination Patches its old bytes into a new buffer (never in
// place: librsync reads the basis at random positions). A delta carries no
// checksum of its result; callers verify the patched bytes by hash.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"

namespace drover::sync {

// RabinKarp + BLAKE2 signature with `block_len` blocks and 8-byte strong sums.
Result<std::vector<uint8_t>> RsyncSignature(std::span<const uint8_t> basis, uint32_t block_len);

Result<std::vector<uint8_t>> RsyncDelta(std::span<const uint8_t> signature,
                                        std::span<const uint8_t> target);

// Applies `delta` to `basis`; fails if the result is not `expected_len` bytes
// or the delta reads outside the basis.
Result<std::vector<uint8_t>> RsyncPatch(std::span<const uint8_t> basis,
                                        std::span<const uint8_t> delta, size_t expected_len);

}  // namespace drover::sync
