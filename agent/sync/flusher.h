// Stage 4 on the destination: durability that overlaps the transfer.
//
// The receiver may only report success (and advance its resume point) after
// fdatasync of the target. Flushing everything at the end puts the whole
// writeback, and the device's cache flush, after the last chunk. The Flusher
// runs fdatasync on a worker thread each time `every_bytes` more have been
// written, so by the end only the tail is left for Sync().
//
// Contract: Wrote() never blocks on I/O. Sync() waits for a running
// background flush, then flushes on the caller's thread, and returns the
// first error of any flush since construction (an fdatasync error is sticky:
// the kernel reports a failed writeback once, so a later flush could succeed
// with data lost). The descriptor must outlive the Flusher. Wrote() and
// Sync() are called from one thread; the worker starts with the first
// background flush and is joined by the destructor.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"

namespace drover::sync {

class Flusher {
 public:
  Flusher(int fd, std::string what, uint64_t every_bytes);
  ~Flusher();
  Flusher(const Flusher&) = delete;
  Flusher& operator=(const Flusher&) = delete;

  void Wrote(uint64_t bytes);
  Status Sync();

 private:
  void Work();
  Status FlushOnce();

  const int fd_;
  const std::string what_;  // names the target in errors
  const uint64_t every_bytes_;
  uint64_t unflushed_ = 0;  // caller's thread only
  std::thread worker_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;  // GUARDED_BY(mu_)
  bool running_ = false;    // GUARDED_BY(mu_)
  bool stop_ = false;       // GUARDED_BY(mu_)
  Status error_;            // GUARDED_BY(mu_): the first failure
};

}  // namespace drover::sync
