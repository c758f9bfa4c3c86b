#include "agent/daemon/pause_watchdog.h"

#include "common/log.h"

namespace drover::agent {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kPollInterval{20};
constexpr milliseconds kAbortTimeout{3000};

bool Over(hv::MigrationPhase p) {
  return p == hv::MigrationPhase::kNone || p == hv::MigrationPhase::kCompleted ||
         p == hv::MigrationPhase::kFailed || p == hv::MigrationPhase::kCancelled;
}

}  // namespace

PauseWatchdog::~PauseWatchdog() {
  std::lock_guard lock(mu_);
  for (auto& [name, w] : watches_) Stop(*w);
  watches_.clear();
}

void PauseWatchdog::Stop(Watch& w) {
  w.stop = true;
  if (w.thread.joinable()) w.thread.join();
}

void PauseWatchdog::Arm(const std::string& name, milliseconds deadline) {
  std::lock_guard lock(mu_);
  for (auto it = watches_.begin(); it != watches_.end();) {  // reap ended watches
    if (it->second->finished || it->first == name) {
      Stop(*it->second);
      it = watches_.erase(it);
    } else {
      ++it;
    }
  }
  auto w = std::make_shared<Watch>();
  w->thread = std::thread([this, name, deadline, raw = w.get()] { Run(name, deadline, raw); });
  watches_[name] = std::move(w);
}

Status PauseWatchdog::Disarm(const std::string& name) {
  std::shared_ptr<Watch> w;
  {
    std::lock_guard lock(mu_);
    auto it = watches_.find(name);
    if (it == watches_.end()) return Status::Ok();
    w = it->second;
  }
  std::lock_guard lock(w->mu);
  if (w->fired) {
    return Aborted("the pause watchdog already cancelled the migration of " + name +
                   " and resumed it on this host");
  }
  w->disarmed = true;
  return Status::Ok();
}

void PauseWatchdog::Run(const std::string& name, milliseconds deadline, Watch* w) {
  std::optional<Clock::time_point> paused;
  while (!w->stop) {
    {
      std::lock_guard lock(w->mu);
      if (w->disarmed) break;
    }
    auto st = hv_->QueryMigrationOut(name);
    if (!st && st.error().code() == Code::kNotFound) break;  // the guest is gone
    if (st && Over(st->phase)) break;
    if (st && st->phase == hv::MigrationPhase::kPreSwitchover && !paused) paused = Clock::now();
    if (paused && Clock::now() - *paused >= deadline) {
      {
        std::lock_guard lock(w->mu);
        if (w->disarmed) break;
        w->fired = true;
      }
      spdlog::warn(
          "guest {}: paused for migration {} ms without continue_out or abort_out "
          "(orchestrator gone?): the pause watchdog cancels the migration and "
          "resumes it here",
          name, deadline.count());
      Status s = hv_->AbortMigrationOut(name, kAbortTimeout);
      if (s.ok()) {
        spdlog::warn("guest {}: runs again on this host after the pause watchdog", name);
      } else {
        spdlog::error("guest {}: the pause watchdog could not resume it: {}", name, s.ToString());
      }
      break;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  w->finished = true;
}

}  // namespace drover::agent
