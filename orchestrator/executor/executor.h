// The plan executor (`drover apply`): runs a plan's step graph through the
// agents within the plan's limits (steps per host, per link), journaling
// every transition before its action (run_journal.h), and answers the
// operator's questions about runs while they go on.
//
// Each run has a thread that starts steps whose dependencies are done, as
// the limits allow, each step on a thread of its own. A failed step blocks
// the steps that depend on it; the others go on. Abort cancels the steps in
// flight (each rolls back to its source) and starts no more; finished steps
// stay. Resume first brings every unfinished step that had begun to a safe
// state (RecoverStep: finish it if its guest already runs on the
// destination, else undo it), then runs what is left; done steps are never
// run again. On shutdown the steps in flight are cancelled and the run is
// left "interrupted", ready for resume. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "common/metrics/registry.h"
#include "common/status.h"
#include "orchestrator/daemon/agent_client.h"
#include "orchestrator/executor/run_journal.h"
#include "orchestrator/executor/step_action.h"
#include "plans/model/plan.h"

namespace drover::executor {

class Executor {
 public:
  // `journal` and `agents` must outlive the executor; `metrics` may be null.
  Executor(RunJournal* journal, daemon::AgentClient* agents, metrics::MetricsRegistry* metrics,
           StepOptions options = {});
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Cancels the steps in flight (they roll back) and waits for every run's
  // thread; the runs are left interrupted. Idempotent; the destructor calls it.
  void Shutdown();

  // Marks runs that a previous orchestrator left running as interrupted.
  Status Recover();

  // op.apply {plan}: starts a run of the plan; {run, steps}.
  Result<nlohmann::json> Apply(const nlohmann::json& plan);
  // op.runs: every run, newest first.
  Result<nlohmann::json> List();
  // op.run {run}: the run, each step's state, phase and live progress.
  Result<nlohmann::json> Describe(const std::string& run);
  // op.run.abort {run}
  Result<nlohmann::json> Abort(const std::string& run);
  // op.run.resume {run}: an interrupted, failed or aborted run goes on.
  Result<nlohmann::json> Resume(const std::string& run);

 private:
  struct ActiveRun;
  class StepContext;

  Result<nlohmann::json> Start(const std::string& id, const nlohmann::json& plan_doc,
                               bool resuming);
  void Drive(ActiveRun* run, bool resuming);
  void RunOneStep(ActiveRun* run, size_t index);
  void RefreshGauges();
  void Reap();

  RunJournal* journal_;
  daemon::AgentClient* agents_;
  metrics::MetricsRegistry* metrics_;
  StepOptions options_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<ActiveRun>> active_;  // GUARDED_BY(mu_)
};

}  // namespace drover::executor
