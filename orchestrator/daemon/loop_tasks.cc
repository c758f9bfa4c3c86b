#include "orchestrator/daemon/loop_tasks.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace drover::daemon {

LoopTasks::LoopTasks() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

LoopTasks::~LoopTasks() { close(fd_); }

void LoopTasks::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  uint64_t one = 1;
  (void)!write(fd_, &one, sizeof one);
}

void LoopTasks::RunPosted() {
  uint64_t count;
  (void)!read(fd_, &count, sizeof count);
  std::deque<std::function<void()>> ready;
  {
    std::lock_guard lock(mu_);
    ready.swap(tasks_);
  }
  for (auto& task : ready) task();
}

}  // namespace drover::daemon
