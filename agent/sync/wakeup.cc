#include "agent/sync/wakeup.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace drover::sync {

Wakeup::Wakeup() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Wakeup::~Wakeup() {
  if (fd_ >= 0) ::close(fd_);
}

void Wakeup::Signal() const noexcept {
  if (fd_ < 0) return;
  uint64_t one = 1;
  // Fails only when the counter is near 2^64 (it is drained long before).
  [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
}

void Wakeup::Drain() const noexcept {
  if (fd_ < 0) return;
  uint64_t count = 0;
  [[maybe_unused]] ssize_t n = ::read(fd_, &count, sizeof count);
}

}  // namespace drover::sync
