// drover-bench-volume: makes and changes the volumes tools/bench-sync syncs.
//
//   drover-bench-volume create PATH SIZE_BYTES SEED
//       writes SIZE bytes of pseudo-random data (incompressible)
//   drover-bench-volume mutate PATH a|b SEED
//       a: overwrites 1 % of the 4 KiB blocks, chosen at random
//       b: overwrites 10 % of the blocks in clustered runs of 16..256 blocks
//       prints "changed_bytes N" (distinct blocks changed × 4096)
// Both write with pwrite and fsync. Exit 0, 1 on an I/O error, 2 on bad usage.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr uint64_t kBlock = 4096;

void Fill(std::mt19937_64& rng, std::vector<uint8_t>& buf) {
  for (size_t i = 0; i + 8 <= buf.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(buf.data() + i, &v, 8);
  }
}

bool WriteAt(int fd, const std::vector<uint8_t>& buf, size_t len, uint64_t off) {
  return ::pwrite(fd, buf.data(), len, static_cast<off_t>(off)) == static_cast<ssize_t>(len);
}

int Create(const char* path, uint64_t size, uint64_t seed) {
  int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return std::perror(path), 1;
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> buf(1 << 20);
  for (uint64_t off = 0; off < size; off += buf.size()) {
    Fill(rng, buf);
    if (!WriteAt(fd, buf, std::min<uint64_t>(buf.size(), size - off), off)) {
      return std::perror("pwrite"), 1;
    }
  }
  ::fsync(fd);
  ::close(fd);
  return 0;
}

int Mutate(const char* path, char which, uint64_t seed) {
  int fd = ::open(path, O_WRONLY);
  if (fd < 0) return std::perror(path), 1;
  struct stat st;
  ::fstat(fd, &st);
  const uint64_t blocks = static_cast<uint64_t>(st.st_size) / kBlock;
  std::mt19937_64 rng(seed);
  std::vector<bool> changed(blocks, false);
  uint64_t count = 0;
  const uint64_t target = which == 'a' ? blocks / 100 : blocks / 10;
  std::vector<uint8_t> buf(256 * kBlock);
  while (count < target) {
    uint64_t first = rng() % blocks;
    uint64_t run = which == 'a' ? 1 : 16 + rng() % 241;
    run = std::min<uint64_t>({run, blocks - first, target - count});
    Fill(rng, buf);
    if (!WriteAt(fd, buf, run * kBlock, first * kBlock)) return std::perror("pwrite"), 1;
    for (uint64_t b = first; b < first + run; ++b) {
      if (!changed[b]) changed[b] = true, ++count;
    }
  }
  ::fsync(fd);
  ::close(fd);
  std::printf("changed_bytes %llu\n", static_cast<unsigned long long>(count * kBlock));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "create") == 0) {
    return Create(argv[2], std::stoull(argv[3]), std::stoull(argv[4]));
  }
  if (argc == 5 && std::strcmp(argv[1], "mutate") == 0 &&
      (argv[3][0] == 'a' || argv[3][0] == 'b')) {
    return Mutate(argv[2], argv[3][0], std::stoull(argv[4]));
  }
  std::fprintf(stderr, "usage: drover-bench-volume create PATH SIZE SEED | mutate PATH a|b SEED\n");
  return 2;
}
