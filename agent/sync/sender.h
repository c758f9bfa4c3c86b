// The source side of a volume sync: the entry point the agent calls when the
// orchestrator says "send snapshot X to endpoint E, key K, ticket T".
//
//   CONNECT ──Hello(ticket)──▶ AWAIT_WELCOME ──Welcome(resume)──▶ TRANSFER ──Final(ok)──▶ DONE
//      │                            │                                │
//      └────── Refuse / timeout / cancel / error ────────────────────┴──▶ FAILED
//
//   DISCOVER runs in a worker from the start (cache, change tracking, or a
//   parallel hash). In TRANSFER the source streams its chunk digests as the
//   destination grants credit, answers each Request (changed chunk) with
//   literals and librsync runs, each Sig with deltas, and ends when the
//   destination reports the verified content hash, which must equal its own.
//
// The sender never writes the source. It persists nothing itself except its
// hash cache; resume points live on the destination, so a restarted sender
// (new ticket, same source_id) continues where the destination stopped.
// Blocking: run it on its own thread; `cancel` stops it within ~50 ms.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include "agent/sync/discover.h"
#include "agent/sync/layout.h"
#include "agent/sync/report.h"
#include "common/status.h"
#include "common/wire/keys.h"

namespace drover::sync {

struct SenderOptions {
  std::string endpoint;           // the destination's data endpoint (Receiver::endpoint())
  std::string server_public_key;  // the destination agent's CURVE public key (Z85)
  wire::KeyPair own_keys;         // this agent's key pair (named to the receiver by the ticket)
  std::string ticket;
  std::string source_path;         // snapshot: regular file or block device, opened read-only
  std::string source_id;           // empty: derived from the path and the file's identity
  std::string cache_tag;           // block devices: identity for the hash cache
  std::string cache_dir;           // hash cache; empty disables it
  std::optional<ChangeBase> base;  // change tracking from the storage driver
  uint32_t chunk_size = kDefaultChunkSize;
  uint32_t block_size = kDefaultBlockSize;
  uint32_t rsync_min_bytes = 8192;
  int zstd_level = 1;
  int hash_threads = 2;
  uint64_t bandwidth_bytes_per_s = 0;  // 0: no cap
  std::chrono::milliseconds peer_timeout{30000};
  ProgressCallback progress;
  const std::atomic<bool>* cancel = nullptr;
  // Test hook: flip one byte of this chunk's data the first time it is sent.
  int64_t test_corrupt_chunk = -1;
};

Result<SyncReport> RunSender(const SenderOptions& options);

}  // namespace drover::sync
