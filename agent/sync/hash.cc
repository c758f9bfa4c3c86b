#include "agent/sync/hash.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>

namespace drover::sync {

std::string Digest::Hex() const {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(hi),
                static_cast<unsigned long long>(lo));
  return buf;
}

Digest HashBlockDigest(std::span<const uint8_t> block) {
  XXH128_hash_t h = XXH3_128bits(block.data(), block.size());
  return Digest{h.low64, h.high64};
}

Digest HashChunk(std::span<const uint8_t> data, uint32_t block_size, Digest* blocks) {
  const size_t n = (data.size() + block_size - 1) / block_size;
  // 16 blocks per chunk by default; larger layouts go to the heap.
  Digest local[64];
  std::vector<Digest> heap;
  Digest* out = blocks;
  if (out == nullptr) {
    if (n > 64) heap.resize(n);
    out = n > 64 ? heap.data() : local;
  }
  for (size_t i = 0; i < n; ++i) {
    size_t off = i * block_size;
    out[i] = HashBlockDigest(data.subspan(off, std::min<size_t>(block_size, data.size() - off)));
  }
  return HashDigestList(std::span<const Digest>(out, n));
}

uint64_t HashString(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }

void PackDigests(std::span<const Digest> digests, uint8_t* out) {
  if constexpr (std::endian::native == std::endian::little) {
    static_assert(sizeof(Digest) == 16);
    std::memcpy(out, digests.data(), digests.size() * sizeof(Digest));  // lo, hi: as specified
    return;
  }
  for (size_t k = 0; k < digests.size(); ++k) {
    for (int i = 0; i < 8; ++i) {
      out[16 * k + i] = static_cast<uint8_t>(digests[k].lo >> (8 * i));
      out[16 * k + 8 + i] = static_cast<uint8_t>(digests[k].hi >> (8 * i));
    }
  }
}

Digest HashDigestList(std::span<const Digest> digests) {
  // Packed in pieces of 256 digests: XXH3 streaming gives the same result
  // for any split of the input, and large updates keep it fast.
  constexpr size_t kPiece = 256;
  uint8_t raw[kPiece * 16];
  if (digests.size() <= kPiece) {
    PackDigests(digests, raw);
    XXH128_hash_t h = XXH3_128bits(raw, 16 * digests.size());
    return Digest{h.low64, h.high64};
  }
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  for (size_t k = 0; k < digests.size(); k += kPiece) {
    auto piece = digests.subspan(k, std::min(kPiece, digests.size() - k));
    PackDigests(piece, raw);
    XXH3_128bits_update(state, raw, 16 * piece.size());
  }
  XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  return Digest{h.low64, h.high64};
}

void UnpackDigests(const uint8_t* in, std::span<Digest> out) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out.data(), in, out.size() * sizeof(Digest));
    return;
  }
  for (size_t k = 0; k < out.size(); ++k) {
    uint64_t lo = 0, hi = 0;
    for (int i = 0; i < 8; ++i) {
      lo |= static_cast<uint64_t>(in[16 * k + i]) << (8 * i);
      hi |= static_cast<uint64_t>(in[16 * k + 8 + i]) << (8 * i);
    }
    out[k] = Digest{lo, hi};
  }
}

}  // namespace drover::sync
