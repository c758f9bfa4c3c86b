// Work handed to the server loop from other threads. Post wakes the loop
// (an eventfd that the loop polls with its socket), so a cutover waiting on
// an agent does not lose up to a poll interval at every step.
#pragma once

#include <deque>
#include <functional>
#include <mutex>

namespace drover::daemon {

class LoopTasks {
 public:
  LoopTasks();
  ~LoopTasks();
  LoopTasks(const LoopTasks&) = delete;
  LoopTasks& operator=(const LoopTasks&) = delete;

  // Thread-safe.
  void Post(std::function<void()> task);
  // Loop thread only: runs what was posted, in order.
  void RunPosted();
  int fd() const { return fd_; }

 private:
  int fd_;
  std::mutex mu_;
  std::deque<std::function<void()>> tasks_;  // GUARDED_BY(mu_)
};

}  // namespace drover::daemon
