#include "agent/sync/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace drover::sync {

RateLimiter::RateLimiter(uint64_t bytes_per_second)
    : rate_(bytes_per_second),
      tokens_(bytes_per_second / 4.0),
      last_(std::chrono::steady_clock::now()) {}

void RateLimiter::Acquire(uint64_t bytes) {
  if (rate_ == 0) return;
  const double burst = std::max(rate_ / 4.0, static_cast<double>(bytes));
  auto now = std::chrono::steady_clock::now();
  tokens_ = std::min(burst, tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
  last_ = now;
  tokens_ -= static_cast<double>(bytes);
  if (tokens_ < 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(-tokens_ / rate_));
  }
}

}  // namespace drover::sync
