// A function run on a thread of its own, whose result a session loop
// collects without blocking, and which wakes that loop (Wakeup) the moment
// the result is ready. A std::async future cannot do the second: it becomes
// ready only after the function has returned, too late for the function to
// signal, so the loop had to poll on a 1 ms timeout.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <thread>

#include "agent/sync/wakeup.h"

namespace drover::sync {

template <typename T>
class Background {
 public:
  Background() = default;
  ~Background() { Join(); }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  // Runs `fn` on a new thread; signals `wake` (may be null) once its result
  // (or exception) is ready. Call once.
  void Start(std::function<T()> fn, const Wakeup* wake) {
    std::promise<T> promise;
    future_ = promise.get_future();
    thread_ = std::thread([fn = std::move(fn), promise = std::move(promise), wake]() mutable {
      try {
        promise.set_value(fn());
      } catch (...) {
        promise.set_exception(std::current_exception());
      }
      if (wake != nullptr) wake->Signal();
    });
  }
  // Started and its result not taken yet.
  bool pending() const { return future_.valid(); }
  bool ready() const {
    return future_.valid() &&
           future_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }
  // The result; waits for it if not ready. Only while pending().
  T Take() { return future_.get(); }
  // Waits for the thread to end (the caller first asks `fn` to stop).
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::future<T> future_;
  std::thread thread_;
};

}  // namespace drover::sync
