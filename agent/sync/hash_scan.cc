#include "agent/sync/hash_scan.h"

#include <mutex>
#include <numeric>
#include <thread>

#include "agent/sync/io.h"

namespace drover::sync {
namespace {

constexpr uint64_t kBatchBytes = 1 << 20;

// Hashes the chunks named by `list[i]` for i in [0, list.size()), in batches
// of neighbouring list entries read with one pread when contiguous.
Status Scan(int fd, const Layout& layout, const std::vector<uint64_t>& list,
            std::vector<Digest>& digests, int threads, const std::atomic<bool>* cancel) {
  const uint64_t per_batch = std::max<uint64_t>(1, kBatchBytes / layout.chunk_size);
  std::atomic<uint64_t> next{0};
  std::mutex mu;
  Status first_error;
  auto worker = [&] {
    std::vector<uint8_t> buf(per_batch * layout.chunk_size);
    for (;;) {
      uint64_t begin = next.fetch_add(per_batch);
      if (begin >= list.size()) return;
      if (cancel && cancel->load()) {
        std::lock_guard lock(mu);
        if (first_error.ok()) first_error = Aborted("hash scan cancelled");
        return;
      }
      uint64_t end = std::min<uint64_t>(begin + per_batch, list.size());
      uint64_t i = begin;
      while (i < end) {
        uint64_t run = 1;  // contiguous chunks read together
        while (i + run < end && list[i + run] == list[i] + run) ++run;
        uint64_t off = layout.ChunkOffset(list[i]);
        uint64_t len = 0;
        for (uint64_t k = 0; k < run; ++k) len += layout.ChunkLength(list[i + k]);
        Status s = PreadFull(fd, std::span<uint8_t>(buf.data(), len), off);
        if (!s.ok()) {
          std::lock_guard lock(mu);
          if (first_error.ok()) first_error = s;
          return;
        }
        uint64_t pos = 0;
        for (uint64_t k = 0; k < run; ++k) {
          uint32_t clen = layout.ChunkLength(list[i + k]);
          digests[list[i + k]] = HashChunk(std::span<const uint8_t>(buf.data() + pos, clen));
          pos += clen;
        }
        i += run;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return first_error;
}

}  // namespace

Result<std::vector<Digest>> HashAllChunks(int fd, const Layout& layout, int threads,
                                          const std::atomic<bool>* cancel) {
  std::vector<uint64_t> all(layout.chunk_count());
  std::iota(all.begin(), all.end(), 0);
  std::vector<Digest> digests(all.size());
  RETURN_IF_ERROR(Scan(fd, layout, all, digests, threads, cancel));
  return digests;
}

Status HashSomeChunks(int fd, const Layout& layout, const std::vector<uint64_t>& chunks,
                      std::vector<Digest>& digests, int threads,
                      const std::atomic<bool>* cancel) {
  if (digests.size() != layout.chunk_count()) return Internal("digest list of wrong size");
  return Scan(fd, layout, chunks, digests, threads, cancel);
}

}  // namespace drover::sync
