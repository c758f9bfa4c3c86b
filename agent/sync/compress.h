// Literal data compression on the wire: the only file that includes <zstd.h>.
//
// Compress keeps whichever is smaller, the zstd frame or the raw bytes, and
// says which; data whose sample shows nearly every byte value is sent raw
// without trying. Decompress refuses output larger than `max_len` (a hostile or
// corrupted frame cannot make us allocate without bound). Thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"

namespace drover::sync {

struct Packed {
  bool compressed = false;
  uint32_t raw_len = 0;  // length once unpacked
  std::vector<uint8_t> bytes;
};

Packed Compress(std::span<const uint8_t> raw, int level = 1);

// Unpacks; fails if the packed data is malformed or raw_len exceeds `max_len`.
Result<std::vector<uint8_t>> Decompress(const Packed& packed, size_t max_len);

}  // namespace drover::sync
