// The disk checker of drover's test guest (tools/guest/counter_writer.c).
//
// The guest writes counter n (from 1, one write at a time, each completed
// before the next) into 4 KiB block n mod B of its disk; each block holds
//   [0] magic "DROVERCT"  [8] counter  [16] slot  [24..4088) fill  [4088] FNV-1a 64
// over bytes [0, 4088). Because the writes are sequential, an image that holds
// counter M as its highest must hold, in every slot s, exactly the highest
// counter n <= M with n = s (mod B): anything older in a slot is a lost write,
// a block whose checksum or slot does not match is torn (or misdirected).
// With `last` (the last counter the guest reported on its console), M < last
// is a lost write too.
//
// Pure functions over bytes plus one file reader; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace drover::guest {

inline constexpr size_t kBlockSize = 4096;
inline constexpr uint64_t kBlockMagic = 0x5443524556524f44ULL;  // "DROVERCT"

struct DiskProblem {
  enum class Kind { kTorn, kLost };
  Kind kind;
  uint64_t slot;
  uint64_t expected;  // the counter the slot must hold (kLost)
  uint64_t found;     // the counter it holds; 0 = empty or unreadable
  std::string ToString() const;
};

struct DiskCheckReport {
  uint64_t blocks = 0;       // B: whole 4 KiB blocks in the image
  uint64_t max_counter = 0;  // M: highest valid counter found
  uint64_t written = 0;      // blocks holding a valid counter
  uint64_t torn = 0;
  uint64_t lost = 0;
  std::vector<DiskProblem> problems;  // the first kMaxListed of them
  bool ok() const { return torn == 0 && lost == 0; }
  std::string Summary() const;
  static constexpr size_t kMaxListed = 20;
};

// Encodes the block the guest writes for `counter` in `slot` (for tests and
// tools that fabricate images). `out` must hold kBlockSize bytes.
void EncodeBlock(uint64_t counter, uint64_t slot, std::span<uint8_t> out);

// Checks an image held in memory. A trailing partial block is ignored.
DiskCheckReport CheckImage(std::span<const uint8_t> image, std::optional<uint64_t> last);

// Reads `path` (a file or a block device) and checks it. Fails only when the
// image cannot be read or holds no whole block.
Result<DiskCheckReport> CheckImageFile(const std::string& path, std::optional<uint64_t> last);

}  // namespace drover::guest
