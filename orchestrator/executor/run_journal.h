// The durable record of plan runs (DESIGN "State and recovery"): each run's
// plan, each step's state and last phase, and an append-only journal of
// every transition. A transition is committed before the action it
// announces, so after a crash the journal tells how far every step got.
//
// Step states: pending -> running -> done | failed | aborted; blocked (a
// step it depends on failed). Run states: running, done, failed (some steps
// failed or are blocked), aborted, interrupted (the orchestrator stopped
// while it ran). Thread-safe: one SQLite connection guarded by a mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "orchestrator/state/database.h"

namespace drover::executor {

struct StepRecord {
  std::string id;
  std::string state = "pending";
  std::string phase;  // last phase journaled while running ("" before the first)
  int attempts = 0;
  nlohmann::json result;  // null until done
  std::string error;
  nlohmann::json phase_detail;  // what the last phase was journaled with (null before)
};

struct RunRecord {
  std::string id;
  std::string state;
  std::string error;
  nlohmann::json plan;
  int64_t created_at = 0;  // unix seconds
  int64_t updated_at = 0;
  std::vector<StepRecord> steps;  // in the plan's order
};

struct JournalEntry {
  int64_t seq = 0;
  std::string step;
  int64_t at_ms = 0;
  std::string event;
  nlohmann::json detail;
};

class RunJournal {
 public:
  // Opens its own connection to the database at `path`.
  static Result<std::unique_ptr<RunJournal>> Open(const std::string& path);

  // Records a new run of `plan` (its "steps" give the step ids) in state running.
  Status CreateRun(const std::string& run, const nlohmann::json& plan);
  Status SetRunState(const std::string& run, const std::string& state,
                     const std::string& error = "");
  // Sets the step's state (and phase, result, error when given) and appends
  // `event` to the journal, in one transaction.
  Status StepState(const std::string& run, const std::string& step, const std::string& state,
                   const std::string& event, const nlohmann::json& detail = nullptr);
  // A new phase of a running step (journaled before the phase's action).
  Status StepPhase(const std::string& run, const std::string& step, const std::string& phase,
                   const nlohmann::json& detail = nullptr);
  Status StepStarted(const std::string& run, const std::string& step);  // attempts + 1
  Status StepDone(const std::string& run, const std::string& step, const nlohmann::json& result);
  Status StepFailed(const std::string& run, const std::string& step, const std::string& state,
                    const std::string& error);

  Result<RunRecord> Load(const std::string& run);
  // Every run, newest first, without plans and steps.
  Result<std::vector<RunRecord>> List();
  Result<std::vector<JournalEntry>> Entries(const std::string& run);
  // Runs left "running" by an orchestrator that stopped: marked interrupted.
  Result<std::vector<std::string>> MarkInterrupted();

 private:
  explicit RunJournal(std::unique_ptr<state::Database> db) : db_(std::move(db)) {}
  Status Append(const std::string& run, const std::string& step, const std::string& event,
                const nlohmann::json& detail);

  std::mutex mu_;
  std::unique_ptr<state::Database> db_;  // GUARDED_BY(mu_)
};

}  // namespace drover::executor
