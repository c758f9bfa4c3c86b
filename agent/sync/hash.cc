#include "agent/sync/hash.h"

#include <xxhash.h>

#include <cstdio>

namespace drover::sync {

std::string Digest::Hex() const {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(hi),
                static_cast<unsigned long long>(lo));
  return buf;
}

Digest HashChunk(std::span<const uint8_t> data) {
  XXH128_hash_t h = XXH3_128bits(data.data(), data.size());
  return Digest{h.low64, h.high64};
}

uint64_t HashBlock(std::span<const uint8_t> data) { return XXH3_64bits(data.data(), data.size()); }

uint64_t HashString(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }

Digest HashDigestList(std::span<const Digest> digests) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  for (const Digest& d : digests) {
    uint8_t raw[16];
    for (int i = 0; i < 8; ++i) {
      raw[i] = static_cast<uint8_t>(d.lo >> (8 * i));
      raw[8 + i] = static_cast<uint8_t>(d.hi >> (8 * i));
    }
    XXH3_128bits_update(state, raw, sizeof raw);
  }
  XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  return Digest{h.low64, h.high64};
}

}  // namespace drover::sync
