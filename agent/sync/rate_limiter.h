// Bandwidth cap for the data channel: a token bucket over payload bytes.
//
// Acquire(n) sleeps until n bytes may go out at `bytes_per_second` with a
// burst of a quarter second; a rate of 0 means unlimited (never sleeps).
// Not thread-safe: one per sending loop.
#pragma once

#include <chrono>
#include <cstdint>

namespace drover::sync {

class RateLimiter {
 public:
  explicit RateLimiter(uint64_t bytes_per_second);
  void Acquire(uint64_t bytes);

 private:
  uint64_t rate_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace drover::sync
