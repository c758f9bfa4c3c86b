// 64-bit integers as 8 little-endian bytes, for the small binary files the
// agent keeps (hash cache entries, extent records): the same bytes on every
// machine, whatever its own byte order.
#pragma once

#include <cstdint>
#include <vector>

namespace drover {

inline void PutU64LE(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

inline uint64_t GetU64LE(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

}  // namespace drover
