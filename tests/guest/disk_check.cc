#include "tests/guest/disk_check.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace drover::guest {
namespace {

constexpr size_t kWords = kBlockSize / 8;

uint64_t Fnv1a(const uint8_t* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t Word(const uint8_t* block, size_t i) {
  uint64_t w;
  std::memcpy(&w, block + i * 8, 8);
  return w;
}

enum class BlockState { kEmpty, kValid, kTorn };

BlockState Classify(const uint8_t* block, uint64_t slot, uint64_t* counter) {
  *counter = 0;
  if (std::all_of(block, block + kBlockSize, [](uint8_t b) { return b == 0; })) {
    return BlockState::kEmpty;
  }
  if (Word(block, 0) != kBlockMagic || Word(block, 2) != slot ||
      Word(block, kWords - 1) != Fnv1a(block, kBlockSize - 8)) {
    return BlockState::kTorn;
  }
  *counter = Word(block, 1);
  return *counter == 0 ? BlockState::kTorn : BlockState::kValid;
}

// The highest counter n <= top with n = slot (mod blocks) and n >= 1; 0 if none.
uint64_t Expected(uint64_t top, uint64_t slot, uint64_t blocks) {
  if (top < slot) return 0;
  return top - (top - slot) % blocks;  // 0 only for slot 0 before counter B
}

void Add(DiskCheckReport* r, DiskProblem p) {
  (p.kind == DiskProblem::Kind::kTorn ? r->torn : r->lost)++;
  if (r->problems.size() < DiskCheckReport::kMaxListed) r->problems.push_back(p);
}

}  // namespace

std::string DiskProblem::ToString() const {
  if (kind == Kind::kTorn) return "torn block " + std::to_string(slot);
  return "lost write: block " + std::to_string(slot) + " must hold counter " +
         std::to_string(expected) + " but holds " +
         (found == 0 ? std::string("nothing") : std::to_string(found));
}

std::string DiskCheckReport::Summary() const {
  return std::string(ok() ? "ok" : "FAILED") + " blocks=" + std::to_string(blocks) +
         " max_counter=" + std::to_string(max_counter) + " written=" + std::to_string(written) +
         " torn=" + std::to_string(torn) + " lost=" + std::to_string(lost);
}

void EncodeBlock(uint64_t counter, uint64_t slot, std::span<uint8_t> out) {
  uint64_t w[kWords];
  w[0] = kBlockMagic;
  w[1] = counter;
  w[2] = slot;
  uint64_t x = counter * 0x9e3779b97f4a7c15ULL + 1;
  for (size_t i = 3; i < kWords - 1; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    w[i] = x;
  }
  std::memcpy(out.data(), w, kBlockSize - 8);
  w[kWords - 1] = Fnv1a(out.data(), kBlockSize - 8);
  std::memcpy(out.data() + kBlockSize - 8, &w[kWords - 1], 8);
}

DiskCheckReport CheckImage(std::span<const uint8_t> image, std::optional<uint64_t> last) {
  DiskCheckReport r;
  r.blocks = image.size() / kBlockSize;
  std::vector<uint64_t> found(r.blocks, 0);
  for (uint64_t s = 0; s < r.blocks; ++s) {
    BlockState st = Classify(image.data() + s * kBlockSize, s, &found[s]);
    if (st == BlockState::kValid && found[s] % r.blocks != s) {
      st = BlockState::kTorn;  // a counter that belongs elsewhere: misdirected
      found[s] = 0;
    }
    if (st == BlockState::kTorn) Add(&r, {DiskProblem::Kind::kTorn, s, 0, 0});
    if (st != BlockState::kValid) continue;
    ++r.written;
    r.max_counter = std::max(r.max_counter, found[s]);
  }
  if (r.blocks == 0) return r;
  uint64_t top = std::max(r.max_counter, last.value_or(0));
  for (uint64_t s = 0; s < r.blocks; ++s) {
    uint64_t want = Expected(top, s, r.blocks);
    if (want != 0 && found[s] != want) {
      Add(&r, {DiskProblem::Kind::kLost, s, want, found[s]});
    }
  }
  return r;
}

Result<DiskCheckReport> CheckImageFile(const std::string& path, std::optional<uint64_t> last) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Err(ErrnoStatus("open " + path, errno));
  std::vector<uint8_t> data;
  uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = ErrnoStatus("read " + path, errno);
      ::close(fd);
      return Err(s);
    }
    if (n == 0) break;
    data.insert(data.end(), buf, buf + n);
  }
  ::close(fd);
  if (data.size() < kBlockSize) return Err(InvalidArgument(path + ": smaller than one block"));
  return CheckImage(data, last);
}

}  // namespace drover::guest
