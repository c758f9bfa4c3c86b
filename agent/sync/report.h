// What a sync tells its caller while it runs (Progress) and at the end
// (SyncReport). Plain values; copy freely.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace drover::sync {

enum class Phase { kConnect, kDiscover, kTransfer, kVerify, kDone };
const char* PhaseName(Phase p);

struct Progress {
  Phase phase = Phase::kConnect;
  uint64_t chunks_done = 0;  // verified on the destination (including skipped equal ones)
  uint64_t chunks_total = 0;
  uint64_t bytes_sent = 0;  // on the wire by this side so far
};
using ProgressCallback = std::function<void(const Progress&)>;

struct SyncReport {
  uint64_t volume_bytes = 0;
  uint64_t bytes_sent = 0;      // payload bytes this side put on the wire
  uint64_t bytes_received = 0;  // payload bytes this side took off the wire
  uint64_t bytes_changed = 0;   // changed bytes found (before compression)
  uint64_t chunks_total = 0;
  uint64_t chunks_changed = 0;  // chunks rewritten on the destination
  uint64_t chunks_resent = 0;   // chunks asked for again after a failed check
  uint64_t resumed_from_chunk = 0;
  uint64_t bytes_read = 0;     // volume bytes this side read (discovery, transfer, verify)
  std::string discovery;       // "cache", "change-tracking" or "hash"
  std::string discovery_note;  // why a change list offered was not used (empty: it was)
  std::string content_hash;    // XXH3-128 over chunk digests, hex
  double seconds = 0;
};

std::string ReportToJson(const SyncReport& r);

}  // namespace drover::sync
