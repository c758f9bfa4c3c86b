#include "agent/sync/hash_scan.h"

#include <algorithm>
#include <mutex>
#include <numeric>
#include <thread>

#include "common/file_io.h"

namespace drover::sync {
namespace {

// Bytes read per pread. Small enough that the buffer stays in the core's
// cache, so hashing reads it from there and not from memory: with 1 MiB the
// page-cache copy took over half the CPU of a hash round, and 1 GiB hashed
// on both sides took 0.31-0.33 s; with 64 KiB, 0.26-0.27 s (32 KiB and
// 128 KiB were in between).
constexpr uint64_t kBatchBytes = 64 << 10;

// Hashes the chunks named by `list[i]` for i in [0, list.size()), in batches
// of neighbouring list entries read with one pread when contiguous.
Status Scan(int fd, const Layout& layout, const std::vector<uint64_t>& list, VolumeDigests& digests,
            int threads, const std::atomic<bool>* cancel) {
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
          const uint64_t c = list[i + k];
          digests.chunks[c] = HashChunk(std::span<const uint8_t>(buf.data() + pos, clen),
                                        layout.block_size, &digests.blocks[layout.FirstBlock(c)]);
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

Result<VolumeDigests> HashAllChunks(int fd, const Layout& layout, int threads,
                                    const std::atomic<bool>* cancel) {
  std::vector<uint64_t> all(layout.chunk_count());
  std::iota(all.begin(), all.end(), 0);
  VolumeDigests digests;
  digests.chunks.resize(all.size());
  digests.blocks.resize(layout.block_count());
  RETURN_IF_ERROR(Scan(fd, layout, all, digests, threads, cancel));
  return digests;
}

Status HashSomeChunks(int fd, const Layout& layout, const std::vector<uint64_t>& chunks,
                      VolumeDigests& digests, int threads, const std::atomic<bool>* cancel) {
  if (digests.chunks.size() != layout.chunk_count() ||
      digests.blocks.size() != layout.block_count()) {
    return Internal("digest list of wrong size");
  }
  return Scan(fd, layout, chunks, digests, threads, cancel);
}

Status HashSomeBlocks(int fd, const Layout& layout, const std::vector<uint64_t>& blocks,
                      VolumeDigests& digests, int threads) {
  if (digests.chunks.size() != layout.chunk_count() ||
      digests.blocks.size() != layout.block_count()) {
    return Internal("digest list of wrong size");
  }
  for (uint64_t b : blocks) {
    if (b >= layout.block_count()) return InvalidArgument("block past the volume end");
  }
  // Each worker takes a contiguous share of the list (distinct blocks, so
  // distinct digest slots); a short list is not worth a thread.
  constexpr size_t kMinPerThread = 256;
  const size_t workers = std::clamp<size_t>(blocks.size() / kMinPerThread, 1,
                                            static_cast<size_t>(std::max(1, threads)));
  std::vector<Status> results(workers);
  auto work = [&](size_t w) {
    const size_t begin = blocks.size() * w / workers, end = blocks.size() * (w + 1) / workers;
    const uint64_t max_run = std::max<uint64_t>(1, kBatchBytes / layout.block_size);
    std::vector<uint8_t> buf(std::min<uint64_t>(max_run, end - begin) * layout.block_size);
    for (size_t i = begin; i < end;) {
      size_t run = 1;  // neighbouring blocks read together
      while (i + run < end && run < max_run && blocks[i + run] == blocks[i] + run) ++run;
      uint64_t len = 0;
      for (size_t k = 0; k < run; ++k) len += layout.BlockLength(blocks[i + k]);
      Status s = PreadFull(fd, std::span<uint8_t>(buf.data(), len), blocks[i] * layout.block_size);
      if (!s.ok()) {
        results[w] = s;
        return;
      }
      for (size_t k = 0; k < run; ++k) {
        digests.blocks[blocks[i + k]] = HashBlockDigest(std::span<const uint8_t>(
            buf.data() + k * layout.block_size, layout.BlockLength(blocks[i + k])));
      }
      i += run;
    }
  };
  std::vector<std::thread> pool;
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  for (const Status& s : results) RETURN_STATUS_IF_ERROR(s);
  const uint64_t per_chunk = layout.blocks_per_chunk();
  for (size_t i = 0; i < blocks.size(); ++i) {
    const uint64_t c = blocks[i] / per_chunk;
    if (i > 0 && blocks[i - 1] / per_chunk == c) continue;
    digests.chunks[c] = HashDigestList(
        std::span<const Digest>(digests.blocks.data() + layout.FirstBlock(c), layout.BlocksIn(c)));
  }
  return Status::Ok();
}

}  // namespace drover::sync
