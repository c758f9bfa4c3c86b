#include "agent/sync/compress.h"

#include <zstd.h>

#include <bit>
#include <string>

namespace drover::sync {

namespace {

// Random or already-compressed data shows almost every byte value in a
// small sample; zstd would spend its time to gain nothing. Only the choice
// of raw versus packed depends on this guess, never the bytes delivered.
bool LooksIncompressible(std::span<const uint8_t> raw) {
  constexpr size_t kSample = 512;
  if (raw.size() < 2 * kSample) return false;
  // A 256-bit set of the byte values seen, without branches: this runs for
  // every literal sent.
  uint64_t seen[4] = {};
  const size_t stride = raw.size() / kSample;
  for (size_t i = 0; i < kSample; ++i) {
    const uint8_t b = raw[i * stride];
    seen[b >> 6] |= uint64_t{1} << (b & 63);
  }
  int distinct = 0;
  for (uint64_t w : seen) distinct += std::popcount(w);
  return distinct > 200;  // uniform random bytes give about 222
}

}  // namespace

Packed Compress(std::span<const uint8_t> raw, int level) {
  Packed p;
  p.raw_len = static_cast<uint32_t>(raw.size());
  if (raw.size() >= 64 && !LooksIncompressible(raw)) {
    p.bytes.resize(ZSTD_compressBound(raw.size()));
    size_t n = ZSTD_compress(p.bytes.data(), p.bytes.size(), raw.data(), raw.size(), level);
    if (!ZSTD_isError(n) && n < raw.size()) {
      p.bytes.resize(n);
      p.compressed = true;
      return p;
    }
  }
  p.bytes.assign(raw.begin(), raw.end());
  return p;
}

Result<std::vector<uint8_t>> Decompress(const Packed& packed, size_t max_len) {
  const size_t expected_len = packed.raw_len;
  if (expected_len > max_len) return Err(InvalidArgument("packed data too long"));
  if (!packed.compressed) {
    if (packed.bytes.size() != expected_len) return Err(InvalidArgument("literal of wrong length"));
    return packed.bytes;
  }
  std::vector<uint8_t> out(expected_len);
  size_t n = ZSTD_decompress(out.data(), out.size(), packed.bytes.data(), packed.bytes.size());
  if (ZSTD_isError(n)) {
    return Err(InvalidArgument(std::string("zstd: ") + ZSTD_getErrorName(n)));
  }
  if (n != expected_len) return Err(InvalidArgument("zstd frame of wrong length"));
  return out;
}

}  // namespace drover::sync
