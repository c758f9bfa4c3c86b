#include "agent/sync/rsync_codec.h"

#include <librsync.h>

#include <cstring>
#include <string>

namespace drover::sync {
namespace {

constexpr size_t kStrongLen = 8;

// librsync logs its errors to stderr; ours travel as Status instead.
void QuietOnce() {
  static const bool quiet = [] {
    rs_trace_set_level(RS_LOG_CRIT);
    return true;
  }();
  (void)quiet;
}

// Drives `job` over all of `in`, appending its output to `out`.
Status RunJob(rs_job_t* job, std::span<const uint8_t> in, std::vector<uint8_t>& out,
              const char* what) {
  rs_buffers_t bufs{};
  bufs.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
  bufs.avail_in = in.size();
  bufs.eof_in = 1;
  uint8_t chunk[65536];
  for (;;) {
    bufs.next_out = reinterpret_cast<char*>(chunk);
    bufs.avail_out = sizeof chunk;
    rs_result r = rs_job_iter(job, &bufs);
    out.insert(out.end(), chunk, chunk + (sizeof chunk - bufs.avail_out));
    if (r == RS_DONE) return Status::Ok();
    if (r != RS_BLOCKED) {
      return InvalidArgument(std::string("librsync ") + what + ": " + rs_strerror(r));
    }
  }
}

struct Basis {
  std::span<const uint8_t> data;
};

rs_result CopyFromBasis(void* opaque, rs_long_t pos, size_t* len, void** buf) {
  auto* basis = static_cast<Basis*>(opaque);
  if (pos < 0 || static_cast<uint64_t>(pos) >= basis->data.size()) return RS_INPUT_ENDED;
  size_t avail = basis->data.size() - static_cast<size_t>(pos);
  *len = std::min(*len, avail);
  std::memcpy(*buf, basis->data.data() + pos, *len);
  return RS_DONE;
}

}  // namespace

Result<std::vector<uint8_t>> RsyncSignature(std::span<const uint8_t> basis, uint32_t block_len) {
  QuietOnce();
  rs_job_t* job = rs_sig_begin(block_len, kStrongLen, RS_RK_BLAKE2_SIG_MAGIC);
  std::vector<uint8_t> sig;
  Status s = RunJob(job, basis, sig, "signature");
  rs_job_free(job);
  if (!s.ok()) return Err(s);
  return sig;
}

Result<std::vector<uint8_t>> RsyncDelta(std::span<const uint8_t> signature,
                                        std::span<const uint8_t> target) {
  QuietOnce();
  rs_signature_t* sumset = nullptr;
  rs_job_t* load = rs_loadsig_begin(&sumset);
  std::vector<uint8_t> none;
  Status s = RunJob(load, signature, none, "load signature");
  rs_job_free(load);
  if (s.ok() && rs_build_hash_table(sumset) != RS_DONE) {
    s = InvalidArgument("librsync: cannot index signature");
  }
  std::vector<uint8_t> delta;
  if (s.ok()) {
    rs_job_t* job = rs_delta_begin(sumset);
    s = RunJob(job, target, delta, "delta");
    rs_job_free(job);
  }
  if (sumset) rs_free_sumset(sumset);
  if (!s.ok()) return Err(s);
  return delta;
}

Result<std::vector<uint8_t>> RsyncPatch(std::span<const uint8_t> basis,
                                        std::span<const uint8_t> delta, size_t expected_len) {
  QuietOnce();
  Basis b{basis};
  rs_job_t* job = rs_patch_begin(&CopyFromBasis, &b);
  std::vector<uint8_t> out;
  out.reserve(expected_len);
  Status s = RunJob(job, delta, out, "patch");
  rs_job_free(job);
  if (!s.ok()) return Err(s);
  if (out.size() != expected_len) {
    return Err(InvalidArgument("librsync patch produced " + std::to_string(out.size()) +
                               " bytes, expected " + std::to_string(expected_len)));
  }
  return out;
}

}  // namespace drover::sync
