// Wakes a session loop that waits on its data channel, from another thread:
// an eventfd that the channel polls together with its socket (see
// DataServer/DataClient::Receive). The discovery thread signals when it has
// published digests or finished, so the loop acts at once instead of
// polling on a short timeout. Signal() is thread-safe; the loop drains.
// Should the eventfd fail to open, Signal() does nothing and the receive
// timeout alone bounds the wait.
#pragma once

namespace drover::sync {

class Wakeup {
 public:
  Wakeup();
  ~Wakeup();
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  void Signal() const noexcept;
  void Drain() const noexcept;
  int fd() const { return fd_; }  // -1 without an eventfd

 private:
  int fd_;
};

}  // namespace drover::sync
