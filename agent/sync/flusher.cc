#include "agent/sync/flusher.h"

#include <unistd.h>

#include <cerrno>

namespace drover::sync {

Flusher::Flusher(int fd, std::string what, uint64_t every_bytes)
    : fd_(fd), what_(std::move(what)), every_bytes_(every_bytes) {}

Flusher::~Flusher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void Flusher::Wrote(uint64_t bytes) {
  unflushed_ += bytes;
  if (every_bytes_ == 0 || unflushed_ < every_bytes_) return;
  unflushed_ = 0;
  {
    std::lock_guard lock(mu_);
    requested_ = true;
  }
  if (!worker_.joinable()) worker_ = std::thread([this] { Work(); });
  cv_.notify_all();
}

Status Flusher::FlushOnce() {
  if (::fdatasync(fd_) == 0) return Status::Ok();
  return ErrnoStatus("fdatasync " + what_, errno);
}

void Flusher::Work() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || requested_; });
    if (stop_) return;
    requested_ = false;
    running_ = true;
    lock.unlock();
    Status s = FlushOnce();
    lock.lock();
    running_ = false;
    if (!s.ok() && error_.ok()) error_ = s;
    cv_.notify_all();
  }
}

Status Flusher::Sync() {
  {
    // A flush that is already running covers only part of what we need;
    // wait for it so that two flushes never race for the same pages.
    std::unique_lock lock(mu_);
    requested_ = false;
    cv_.wait(lock, [this] { return !running_; });
  }
  unflushed_ = 0;
  Status s = FlushOnce();
  std::lock_guard lock(mu_);
  if (!s.ok() && error_.ok()) error_ = s;
  return error_;
}

}  // namespace drover::sync
