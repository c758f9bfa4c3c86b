#include "agent/sync/apply.h"

#include <algorithm>
#include <string>

#include "agent/sync/rsync_codec.h"

namespace drover::sync {

ChunkPatch::ChunkPatch(std::vector<uint8_t> old_bytes) : new_(std::move(old_bytes)) {}

Status ChunkPatch::CheckSpan(uint32_t offset, uint32_t length) const {
  if (static_cast<uint64_t>(offset) + length > new_.size()) {
    return InvalidArgument("range " + std::to_string(offset) + "+" + std::to_string(length) +
                           " outside a chunk of " + std::to_string(new_.size()));
  }
  return Status::Ok();
}

Status ChunkPatch::ApplyLiterals(const std::vector<Literal>& literals) {
  for (const Literal& l : literals) {
    RETURN_STATUS_IF_ERROR(CheckSpan(l.offset, l.length));
    auto raw = Decompress(l.data, l.length);
    if (!raw) return raw.error();
    if (raw->size() != l.length) return InvalidArgument("literal of wrong length");
    std::copy(raw->begin(), raw->end(), new_.begin() + l.offset);
    dirty_.push_back(Span{l.offset, l.length});
  }
  return Status::Ok();
}

Result<std::vector<std::vector<uint8_t>>> ChunkPatch::Signatures(const std::vector<Span>& runs,
                                                                 uint32_t block_size) const {
  std::vector<std::vector<uint8_t>> sigs;
  for (const Span& r : runs) {
    RETURN_IF_ERROR(CheckSpan(r.offset, r.length));
    ASSIGN_OR_RETURN(auto sig, RsyncSignature(Old(r), block_size));
    sigs.push_back(std::move(sig));
  }
  return sigs;
}

Status ChunkPatch::ApplyDeltas(const std::vector<Span>& runs, const std::vector<Packed>& deltas) {
  if (runs.size() != deltas.size()) return InvalidArgument("delta count does not match the runs");
  for (size_t k = 0; k < runs.size(); ++k) {
    RETURN_STATUS_IF_ERROR(CheckSpan(runs[k].offset, runs[k].length));
    // A delta of a run is its literal plus a few command bytes at most.
    auto delta = Decompress(deltas[k], runs[k].length + 1024 + runs[k].length / 8);
    if (!delta) return delta.error();
    std::vector<uint8_t> basis(Old(runs[k]).begin(), Old(runs[k]).end());
    auto patched = RsyncPatch(basis, *delta, runs[k].length);
    if (!patched) return patched.error();
    std::copy(patched->begin(), patched->end(), new_.begin() + runs[k].offset);
    dirty_.push_back(runs[k]);
  }
  return Status::Ok();
}

}  // namespace drover::sync
