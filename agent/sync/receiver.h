// The destination side of a volume sync: the entry point the agent calls
// when the orchestrator says "receive into volume V from the agent with key
// K, ticket T". Bind() returns at once with the endpoint to hand to the
// source; Run() then serves exactly one session.
//
//   BOUND ──Hello(ticket ok)──▶ DISCOVER ──digests──▶ FETCH ──all chunks verified──▶ VERIFY ──▶
//   DONE
//     │ ▲                        (worker)      ▲  │ Request → Data [→ Sig → Delta] → check → write
//     │ └─ wrong/used ticket: Refuse, stay      └──┘ a chunk failing its check is requested again
//     (≤3) └─ accept timeout ─▶ FAILED      any error, peer silence, cancel ─▶ resume point saved
//     ─▶ FAILED
//
// Contract:
//  * Only the key `source_public_key` passes the handshake (ZAP); only the
//    first Hello carrying `ticket` opens the session; every later Hello, with
//    this ticket or another, is refused. The ticket is spent once accepted.
//  * The target must exist (the storage driver creates it). A regular file is
//    resized to the source's size; a block device must be large enough.
//  * Every chunk is written only after its digest equals the source's (only
//    the spans that changed are written, so reflinked targets stay shared). The
//    resume point (see resume_state.h) advances behind fdatasync, so a
//    restarted sync of the same source snapshot starts at the last verified
//    chunk; the point records a digest of the source's chunk digests below
//    it, so a source_id reused for other content starts over instead of
//    skipping chunks. Success means the destination's content hash equals
//    the source's.
//  * Out of space (ENOSPC) and other write errors end the sync with an
//    IoError naming the target; the source is never written.
// Run() blocks; call it once, from one thread; `cancel` stops it within ~50 ms.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "agent/sync/report.h"
#include "common/status.h"
#include "common/wire/keys.h"

namespace drover::sync {

struct ReceiverOptions {
  std::string ticket;
  std::string source_public_key;  // the source agent's CURVE public key (Z85)
  wire::KeyPair own_keys;         // this agent's key pair; the source is told the public half
  std::string bind_endpoint = "tcp://127.0.0.1:0";
  std::string target_path;  // regular file or block device, opened read-write
  std::string cache_tag;    // block devices: identity for the hash cache
  std::string state_dir;    // resume points and hash cache; empty disables both
  int hash_threads = 2;
  uint32_t window_chunks = 256;  // changed chunks in flight (the credit)
  uint64_t bandwidth_bytes_per_s = 0;
  std::chrono::milliseconds accept_timeout{60000};
  std::chrono::milliseconds peer_timeout{30000};
  std::chrono::milliseconds resume_interval{2000};  // fdatasync + resume point at most this often
  bool full_verify = false;                         // re-read the whole target before success
  ProgressCallback progress;
  const std::atomic<bool>* cancel = nullptr;
  // Test hook: runs on the thread that loads the target's cached digests at
  // Bind, once they are loaded (a write to the target there must not go
  // unnoticed).
  std::function<void()> test_after_preload;
};

class Receiver {
 public:
  static Result<std::unique_ptr<Receiver>> Bind(ReceiverOptions options);
  ~Receiver();

  const std::string& endpoint() const;
  Result<SyncReport> Run();

 private:
  class Session;
  explicit Receiver(std::unique_ptr<Session> s);
  std::unique_ptr<Session> session_;
};

}  // namespace drover::sync
