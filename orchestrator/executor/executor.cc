#include "orchestrator/executor/executor.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "common/log.h"
#include "common/random_id.h"
#include "plans/model/plan_json.h"

namespace drover::executor {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

std::string LinkKey(const std::string& a, const std::string& b) {
  return a < b ? a + "--" + b : b + "--" + a;
}

// Bytes a finished step moved, from its result.
uint64_t ResultBytes(const json& r) {
  if (!r.is_object()) return 0;
  uint64_t bytes = r.value("bytes_sent", uint64_t{0}) + r.value("memory_bytes", uint64_t{0});
  for (const auto& k : r.value("rounds", json::array()))
    bytes += k.value("bytes_sent", uint64_t{0});
  if (r.contains("round")) bytes += r["round"].value("bytes_sent", uint64_t{0});
  return bytes;
}

}  // namespace

struct Executor::ActiveRun {
  std::string id;
  plans::Plan plan;
  json plan_doc;
  std::atomic<bool> cancel{false};  // abort or shutdown: steps roll back
  std::atomic<bool> abort{false};
  std::atomic<bool> finished{false};
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> state;              // GUARDED_BY(mu), per step
  std::vector<std::string> phase;              // GUARDED_BY(mu)
  std::vector<json> progress;                  // GUARDED_BY(mu)
  std::vector<Clock::time_point> phase_since;  // GUARDED_BY(mu)
  std::vector<std::thread> step_threads;       // run thread only
  std::thread thread;
};

// A step's JobContext: live progress for Describe, and every new phase
// journaled before the step goes on to act in it.
class Executor::StepContext : public daemon::JobContext {
 public:
  StepContext(Executor* ex, ActiveRun* run, size_t index) : ex_(ex), run_(run), index_(index) {}

  void Progress(json p) override {
    std::string phase = p.value("phase", "");
    if (p.contains("round")) phase += " " + std::to_string(p.value("round", 0));
    bool changed;
    {
      std::lock_guard lock(run_->mu);
      changed = !phase.empty() && phase != run_->phase[index_];
      if (changed) {
        run_->phase[index_] = phase;
        run_->phase_since[index_] = Clock::now();
      }
      run_->progress[index_] = p;
    }
    if (changed) {
      // The phase name the recovery reads is the bare one ("round", not "round 2").
      Status s =
          ex_->journal_->StepPhase(run_->id, run_->plan.steps[index_].id, p.value("phase", ""), p);
      if (!s.ok()) spdlog::error("run {}: journal: {}", run_->id, s.ToString());
    }
  }
  bool cancelled() const override { return run_->cancel.load(); }
  const std::atomic<bool>* cancel_flag() const override { return &run_->cancel; }

 private:
  Executor* ex_;
  ActiveRun* run_;
  size_t index_;
};

Executor::Executor(RunJournal* journal, daemon::AgentClient* agents,
                   metrics::MetricsRegistry* metrics, StepOptions options)
    : journal_(journal), agents_(agents), metrics_(metrics), options_(std::move(options)) {}

Executor::~Executor() { Shutdown(); }

void Executor::Shutdown() {
  stopping_ = true;
  std::map<std::string, std::unique_ptr<ActiveRun>> runs;
  {
    std::lock_guard lock(mu_);
    runs.swap(active_);
  }
  for (auto& [id, run] : runs) {
    run->cancel = true;
    run->cv.notify_all();
  }
  for (auto& [id, run] : runs) {
    if (run->thread.joinable()) run->thread.join();
  }
}

Status Executor::Recover() {
  auto runs = journal_->MarkInterrupted();
  if (!runs) return runs.error();
  for (const auto& r : *runs) {
    spdlog::warn(
        "run {} was running when the orchestrator stopped: interrupted, "
        "`drover resume {}` finishes it",
        r, r);
  }
  RefreshGauges();
  return Status::Ok();
}

void Executor::Reap() {
  for (auto it = active_.begin(); it != active_.end();) {
    if (it->second->finished) {
      it->second->thread.join();
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<json> Executor::Apply(const json& plan_doc) {
  auto plan = plans::ParsePlan(plan_doc);
  if (!plan) return Err(plan.error().WithContext("plan"));
  auto suffix = RandomHex(4);
  if (!suffix) return Err(Internal("no random numbers for a run id"));
  if (stopping_) return Err(Unavailable("the orchestrator is stopping"));
  std::string id = "r-" + *suffix;
  RETURN_IF_ERROR(journal_->CreateRun(id, plan_doc));
  return Start(id, plan_doc, false);
}

Result<json> Executor::Start(const std::string& id, const json& plan_doc, bool resuming) {
  auto plan = plans::ParsePlan(plan_doc);
  if (!plan) return Err(plan.error().WithContext("plan of run " + id));
  auto run = std::make_unique<ActiveRun>();
  run->id = id;
  run->plan = std::move(*plan);
  run->plan_doc = plan_doc;
  size_t n = run->plan.steps.size();
  run->state.assign(n, "pending");
  run->phase.assign(n, "");
  run->progress.assign(n, json::object());
  run->phase_since.assign(n, Clock::now());
  ActiveRun* raw = run.get();
  {
    std::lock_guard lock(mu_);
    Reap();
    if (active_.count(id)) return Err(AlreadyExists("run " + id + " is running"));
    // Before the answer goes out: whoever asks next must not read the state
    // the run had before (a `drover resume` that follows the run would take
    // the old "failed" for the new end).
    if (resuming) RETURN_IF_ERROR(journal_->SetRunState(id, "running"));
    active_[id] = std::move(run);
    raw->thread = std::thread([this, raw, resuming] {
      Drive(raw, resuming);
      raw->finished = true;
    });
  }
  spdlog::info("run {} {}: {} steps", id, resuming ? "resumed" : "started", n);
  return json{{"run", id}, {"steps", n}};
}

void Executor::Drive(ActiveRun* run, bool resuming) {
  const auto& steps = run->plan.steps;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < steps.size(); ++i) index[steps[i].id] = i;
  auto record = journal_->Load(run->id);
  if (!record) {
    spdlog::error("run {}: {}", run->id, record.error().ToString());
    return;
  }
  for (const StepRecord& s : record->steps) {
    if (auto it = index.find(s.id); it != index.end()) run->state[it->second] = s.state;
  }
  if (resuming) {
    (void)journal_->SetRunState(run->id, "running");
    for (size_t i = 0; i < steps.size() && !run->cancel; ++i) {
      const StepRecord& rec = record->steps[i];
      if (rec.state == "done") continue;
      if (rec.state == "blocked") {
        (void)journal_->StepState(run->id, rec.id, "pending", "step unblocked");
        run->state[i] = "pending";
        continue;
      }
      if (rec.attempts == 0) continue;
      // It began once: make it safe before it runs again. An agent that
      // just came back may not answer yet: ask again for a while.
      auto recovered = RecoverStep(steps[i], rec.phase, rec.phase_detail, *agents_);
      for (int tries = 0; !recovered && tries < 10 && !run->cancel &&
                          (recovered.error().code() == Code::kUnavailable ||
                           recovered.error().code() == Code::kTimeout);
           ++tries) {
        spdlog::info("run {} step {}: recovery: {}; trying again", run->id, rec.id,
                     recovered.error().ToString());
        std::this_thread::sleep_for(std::chrono::seconds(2));
        recovered = RecoverStep(steps[i], rec.phase, rec.phase_detail, *agents_);
      }
      if (!recovered) {
        (void)journal_->StepFailed(run->id, rec.id, "failed",
                                   "recovery: " + recovered.error().ToString());
        run->state[i] = "failed";
      } else if (recovered->finished) {
        (void)journal_->StepDone(run->id, rec.id, recovered->result);
        run->state[i] = "done";
      } else {
        (void)journal_->StepState(run->id, rec.id, "pending", "step undone", recovered->result);
        run->state[i] = "pending";
      }
    }
  }
  RefreshGauges();

  std::map<std::string, int> per_host, per_link;
  int running = 0;
  std::unique_lock lock(run->mu);
  for (;;) {
    // Steps whose dependencies can no longer finish are blocked.
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t i = 0; i < steps.size(); ++i) {
        if (run->state[i] != "pending") continue;
        for (const auto& d : steps[i].depends_on) {
          auto it = index.find(d);
          const std::string& ds = it == index.end() ? "failed" : run->state[it->second];
          if (ds == "failed" || ds == "blocked" || ds == "aborted") {
            run->state[i] = "blocked";
            (void)journal_->StepFailed(run->id, steps[i].id, "blocked",
                                       "step " + d + " it depends on is " + ds);
            changed = true;
            break;
          }
        }
      }
    }
    if (!run->cancel) {
      for (size_t i = 0; i < steps.size(); ++i) {
        const plans::Step& s = steps[i];
        if (run->state[i] != "pending") continue;
        bool ready = std::all_of(s.depends_on.begin(), s.depends_on.end(), [&](const auto& d) {
          auto it = index.find(d);
          return it != index.end() && run->state[it->second] == "done";
        });
        if (!ready || per_host[s.from] >= run->plan.limits.max_per_host ||
            per_host[s.to] >= run->plan.limits.max_per_host ||
            per_link[LinkKey(s.from, s.to)] >= run->plan.limits.max_per_link) {
          continue;
        }
        run->state[i] = "running";
        run->phase[i] = "";
        ++per_host[s.from], ++per_host[s.to], ++per_link[LinkKey(s.from, s.to)], ++running;
        run->step_threads.emplace_back([this, run, i] { RunOneStep(run, i); });
      }
    }
    if (running == 0) break;
    run->cv.wait(lock);
    // Count again: steps that finished freed their slots.
    per_host.clear(), per_link.clear();
    running = 0;
    for (size_t i = 0; i < steps.size(); ++i) {
      if (run->state[i] != "running") continue;
      ++per_host[steps[i].from], ++per_host[steps[i].to],
          ++per_link[LinkKey(steps[i].from, steps[i].to)], ++running;
    }
  }
  lock.unlock();
  for (auto& t : run->step_threads) t.join();
  run->step_threads.clear();

  std::string final_state = "done", error;
  int failed = 0, pending = 0;
  for (const auto& s : run->state) {
    failed += s == "failed" || s == "blocked" || s == "aborted";
    pending += s == "pending";
  }
  if (stopping_) {
    final_state = "interrupted", error = "the orchestrator stopped";
  } else if (run->abort) {
    final_state = "aborted", error = "aborted by an operator";
  } else if (failed > 0 || pending > 0) {
    final_state = "failed";
    error = std::to_string(failed) + " of " + std::to_string(steps.size()) +
            " steps failed or were blocked";
  }
  Status s = journal_->SetRunState(run->id, final_state, error);
  if (!s.ok()) spdlog::error("run {}: journal: {}", run->id, s.ToString());
  spdlog::info("run {} {}{}", run->id, final_state, error.empty() ? "" : ": " + error);
  RefreshGauges();
}

void Executor::RunOneStep(ActiveRun* run, size_t i) {
  const plans::Step& step = run->plan.steps[i];
  std::string final_state;
  Status journaled = journal_->StepStarted(run->id, step.id);
  if (!journaled.ok()) {
    // Without the journal a crash could not be recovered: do not act.
    final_state = "failed";
    spdlog::error("run {} step {}: journal: {}", run->id, step.id, journaled.ToString());
  } else {
    RefreshGauges();
    StepContext ctx(this, run, i);
    auto result = RunStep(step, options_, *agents_, ctx);
    if (result) {
      final_state = "done";
      journaled = journal_->StepDone(run->id, step.id, *result);
      if (metrics_) {
        metrics_->GetCounter("drover_bytes_moved_total", "Bytes sent by finished plan steps.")
            ->Increment(static_cast<double>(ResultBytes(*result)));
        if (result->contains("downtime_ms")) {
          metrics_
              ->GetHistogram("drover_cutover_downtime_seconds",
                             "Measured pause of each live or cold move.",
                             {0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10})
              ->Observe(result->value("downtime_ms", 0.0) / 1000.0);
        }
      }
    } else {
      final_state = run->cancel ? "aborted" : "failed";
      journaled = journal_->StepFailed(run->id, step.id, final_state, result.error().ToString());
      spdlog::warn("run {} step {} {}: {}", run->id, step.id, final_state,
                   result.error().ToString());
    }
    if (!journaled.ok()) spdlog::error("run {}: journal: {}", run->id, journaled.ToString());
  }
  {
    std::lock_guard lock(run->mu);
    run->state[i] = final_state;
  }
  RefreshGauges();
  run->cv.notify_all();
}

void Executor::RefreshGauges() {
  if (metrics_ == nullptr) return;
  auto runs = journal_->List();
  if (!runs) return;
  std::map<std::string, int> by_run, by_step;
  for (const char* s : {"running", "done", "failed", "aborted", "interrupted"}) by_run[s] = 0;
  for (const char* s : {"pending", "running", "done", "failed", "aborted", "blocked"}) {
    by_step[s] = 0;
  }
  for (const auto& r : *runs) {
    ++by_run[r.state];
    for (const auto& s : r.steps) ++by_step[s.state];
  }
  for (const auto& [state, n] : by_run) {
    metrics_->GetGauge("drover_runs", "Plan runs by state.", {{"state", state}})->Set(n);
  }
  for (const auto& [state, n] : by_step) {
    metrics_->GetGauge("drover_steps", "Steps of plan runs by state.", {{"state", state}})->Set(n);
  }
}

Result<json> Executor::List() {
  ASSIGN_OR_RETURN(auto runs, journal_->List());
  json out = json::array();
  for (const auto& r : runs) {
    json counts = json::object();
    for (const auto& s : r.steps) counts[s.state] = counts.value(s.state, 0) + 1;
    out.push_back({{"run", r.id},
                   {"state", r.state},
                   {"error", r.error},
                   {"created_at", r.created_at},
                   {"updated_at", r.updated_at},
                   {"steps", r.steps.size()},
                   {"steps_by_state", counts}});
  }
  return json{{"runs", out}};
}

Result<json> Executor::Describe(const std::string& id) {
  ASSIGN_OR_RETURN(RunRecord r, journal_->Load(id));
  std::vector<json> live;
  std::vector<double> in_phase;
  {
    std::lock_guard lock(mu_);
    if (auto it = active_.find(id); it != active_.end() && !it->second->finished) {
      ActiveRun* run = it->second.get();
      std::lock_guard run_lock(run->mu);
      for (size_t i = 0; i < run->progress.size(); ++i) {
        live.push_back(run->state[i] == "running" ? run->progress[i] : json());
        in_phase.push_back(
            std::chrono::duration<double>(Clock::now() - run->phase_since[i]).count());
      }
    }
  }
  auto plan = plans::ParsePlan(r.plan);
  if (!plan) return Err(plan.error().WithContext("plan of run " + id));
  json steps = json::array();
  uint64_t bytes_done = 0;
  int64_t bytes_total = 0;
  int done = 0;
  for (size_t i = 0; i < r.steps.size() && i < plan->steps.size(); ++i) {
    const StepRecord& rec = r.steps[i];
    const plans::Step& s = plan->steps[i];
    json j = {{"step", s.id},
              {"action", s.action},
              {"guest", s.guest},
              {"from", s.from},
              {"to", s.to},
              {"state", rec.state},
              {"phase", rec.phase},
              {"attempts", rec.attempts},
              {"depends_on", s.depends_on},
              {"est_bytes", s.est_bytes},
              {"est_seconds", s.est_seconds}};
    if (!s.new_name.empty()) j["new_name"] = s.new_name;
    if (!rec.error.empty()) j["error"] = rec.error;
    bytes_total += s.est_bytes;
    if (rec.state == "done") {
      ++done;
      j["result"] = rec.result;
      bytes_done += ResultBytes(rec.result);
      if (rec.result.is_object() && rec.result.contains("downtime_ms")) {
        j["downtime_ms"] = rec.result["downtime_ms"];
      }
    }
    if (i < live.size() && live[i].is_object()) {
      const json& p = live[i];
      j["progress"] = p;
      uint64_t bytes = p.value("bytes", uint64_t{0});
      double seconds = p.value("seconds", 0.0);
      if (seconds > 0 && bytes > 0) {
        double rate = bytes / seconds;
        j["rate_bytes_per_s"] = rate;
        // An ETA only once the rate means something.
        if (p.value("phase", "") == "full sync" && seconds >= 1 && bytes >= (1u << 20) &&
            s.est_bytes > static_cast<int64_t>(bytes)) {
          j["eta_s"] = (static_cast<double>(s.est_bytes) - static_cast<double>(bytes)) / rate;
        }
      }
      j["phase_seconds"] = in_phase[i];
      bytes_done += bytes;
    }
    steps.push_back(std::move(j));
  }
  return json{{"run", r.id},
              {"state", r.state},
              {"error", r.error},
              {"kind", plan->kind},
              {"targets", plan->targets},
              {"created_at", r.created_at},
              {"updated_at", r.updated_at},
              {"steps_total", r.steps.size()},
              {"steps_done", done},
              {"bytes_done", bytes_done},
              {"bytes_estimated", bytes_total},
              {"steps", steps}};
}

Result<json> Executor::Abort(const std::string& id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = active_.find(id); it != active_.end() && !it->second->finished) {
      ActiveRun* run = it->second.get();
      run->abort = true;
      run->cancel = true;
      run->cv.notify_all();
      spdlog::warn("run {}: abort requested", id);
      return json{{"run", id}, {"state", "aborting"}};
    }
  }
  ASSIGN_OR_RETURN(RunRecord r, journal_->Load(id));
  if (r.state == "done") return Err(InvalidArgument("run " + id + " is done: nothing to abort"));
  if (r.state != "aborted")
    RETURN_IF_ERROR(journal_->SetRunState(id, "aborted", "aborted by an operator"));
  RefreshGauges();
  return json{{"run", id}, {"state", "aborted"}};
}

Result<json> Executor::Resume(const std::string& id) {
  ASSIGN_OR_RETURN(RunRecord r, journal_->Load(id));
  if (r.state == "done") return Err(InvalidArgument("run " + id + " is done: nothing to resume"));
  {
    std::lock_guard lock(mu_);
    Reap();
    if (active_.count(id)) return Err(AlreadyExists("run " + id + " is running"));
  }
  return Start(id, r.plan, true);
}

}  // namespace drover::executor
