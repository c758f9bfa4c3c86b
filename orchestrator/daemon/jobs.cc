#include "orchestrator/daemon/jobs.h"

#include <chrono>

#include "common/log.h"
#include "common/random_id.h"

namespace drover::daemon {

struct JobTable::Job : JobContext {
  std::string id, kind, summary;
  mutable std::mutex mu;
  std::string state = "running";                       // GUARDED_BY(mu)
  nlohmann::json progress = nlohmann::json::object();  // GUARDED_BY(mu)
  nlohmann::json result;                               // GUARDED_BY(mu)
  std::string error;                                   // GUARDED_BY(mu)
  std::atomic<bool> cancel{false};
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now(), finished;
  std::thread thread;

  void Progress(nlohmann::json p) override {
    std::lock_guard lock(mu);
    progress = std::move(p);
  }
  bool cancelled() const override { return cancel.load(); }
  const std::atomic<bool>* cancel_flag() const override { return &cancel; }
};

JobTable::~JobTable() {
  std::map<std::string, std::shared_ptr<Job>> jobs;
  {
    std::lock_guard lock(mu_);
    jobs.swap(jobs_);
  }
  for (auto& [id, job] : jobs) job->cancel = true;
  for (auto& [id, job] : jobs) {
    if (job->thread.joinable()) job->thread.join();
  }
}

std::string JobTable::Start(const std::string& kind, const std::string& summary, JobFn fn) {
  auto job = std::make_shared<Job>();
  {
    std::lock_guard lock(mu_);
    auto suffix = RandomHex(3);
    job->id = "j" + std::to_string(++next_) + "-" + (suffix ? *suffix : "0");
    jobs_[job->id] = job;
  }
  job->kind = kind;
  job->summary = summary;
  job->thread = std::thread([job, fn = std::move(fn)] {
    spdlog::info("job {} ({}) started: {}", job->id, job->kind, job->summary);
    Result<nlohmann::json> r = fn(*job);
    std::lock_guard lock(job->mu);
    job->finished = std::chrono::steady_clock::now();
    if (r) {
      job->state = "done";
      job->result = std::move(*r);
    } else {
      job->state = job->cancel ? "cancelled" : "failed";
      job->error = r.error().ToString();
    }
    spdlog::info("job {} {}{}", job->id, job->state, job->error.empty() ? "" : ": " + job->error);
  });
  return job->id;
}

Result<nlohmann::json> JobTable::Status(const std::string& id) {
  std::shared_ptr<Job> job;
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return Err(NotFound("job " + id + " is not known"));
    job = it->second;
  }
  std::lock_guard lock(job->mu);
  bool running = job->state == "running";
  auto end = running ? std::chrono::steady_clock::now() : job->finished;
  nlohmann::json j = {{"job", job->id},
                      {"kind", job->kind},
                      {"summary", job->summary},
                      {"state", job->state},
                      {"progress", job->progress},
                      {"seconds", std::chrono::duration<double>(end - job->started).count()}};
  if (!job->result.is_null()) j["result"] = job->result;
  if (!job->error.empty()) j["error"] = job->error;
  return j;
}

drover::Status JobTable::Cancel(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return NotFound("job " + id + " is not known");
  it->second->cancel = true;
  return drover::Status::Ok();
}

}  // namespace drover::daemon
