// Long operations an operator started (a live migration, a clone), each on
// a thread of its own, talking to agents through an AgentClient. The
// operator gets a job id at once and follows it with op.job.
//
// A job function returns its final result (or an error) and may publish
// progress (a JSON object: phase, bytes, ...) at any time; it must poll
// `cancelled()` and stop safely. Thread-safe. The destructor cancels every
// job and joins its thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "common/status.h"

namespace drover::daemon {

class JobContext {
 public:
  virtual ~JobContext() = default;
  virtual void Progress(nlohmann::json progress) = 0;
  virtual bool cancelled() const = 0;
  virtual const std::atomic<bool>* cancel_flag() const = 0;
};

using JobFn = std::function<Result<nlohmann::json>(JobContext&)>;

class JobTable {
 public:
  ~JobTable();

  // Starts `fn` as a job of `kind`; returns its id.
  std::string Start(const std::string& kind, const std::string& summary, JobFn fn);
  // {job, kind, summary, state: running|done|failed|cancelled, progress, result?, error?, seconds}
  Result<nlohmann::json> Status(const std::string& id);
  drover::Status Cancel(const std::string& id);

 private:
  struct Job;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Job>> jobs_;  // GUARDED_BY(mu_)
  uint64_t next_ = 0;                                 // GUARDED_BY(mu_)
};

}  // namespace drover::daemon
