#include "orchestrator/executor/run_journal.h"

#include <chrono>

namespace drover::executor {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Dump(const nlohmann::json& j) { return j.is_null() ? "" : j.dump(); }

nlohmann::json Parse(const std::string& text) {
  if (text.empty()) return nullptr;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json(text) : j;
}

}  // namespace

Result<std::unique_ptr<RunJournal>> RunJournal::Open(const std::string& path) {
  ASSIGN_OR_RETURN(auto db, state::Database::Open(path));
  return std::unique_ptr<RunJournal>(new RunJournal(std::move(db)));
}

Status RunJournal::Append(const std::string& run, const std::string& step, const std::string& event,
                          const nlohmann::json& detail) {
  return db_->Exec(
      "INSERT INTO run_journal (run_id, step_id, at_ms, event, detail) VALUES (?, ?, ?, ?, ?)",
      {run, step, NowMs(), event, Dump(detail)});
}

Status RunJournal::CreateRun(const std::string& run, const nlohmann::json& plan) {
  std::lock_guard lock(mu_);
  int64_t now = NowMs() / 1000;
  return db_->Transaction([&]() -> Status {
    RETURN_STATUS_IF_ERROR(db_->Exec(
        "INSERT INTO runs (id, plan, state, created_at, updated_at) VALUES (?, ?, 'running', ?, ?)",
        {run, plan.dump(), now, now}));
    int64_t ordinal = 0;
    for (const auto& s : plan.value("steps", nlohmann::json::array())) {
      RETURN_STATUS_IF_ERROR(
          db_->Exec("INSERT INTO run_steps (run_id, step_id, ordinal, state, updated_at) "
                    "VALUES (?, ?, ?, 'pending', ?)",
                    {run, s.value("id", ""), ordinal++, now}));
    }
    return Append(run, "", "run created", {{"steps", ordinal}});
  });
}

Status RunJournal::SetRunState(const std::string& run, const std::string& state,
                               const std::string& error) {
  std::lock_guard lock(mu_);
  return db_->Transaction([&]() -> Status {
    RETURN_STATUS_IF_ERROR(
        db_->Exec("UPDATE runs SET state = ?, error = ?, updated_at = ? WHERE id = ?",
                  {state, error, NowMs() / 1000, run}));
    nlohmann::json detail =
        error.empty() ? nlohmann::json(nullptr) : nlohmann::json{{"error", error}};
    return Append(run, "", "run " + state, detail);
  });
}

Status RunJournal::StepState(const std::string& run, const std::string& step,
                             const std::string& state, const std::string& event,
                             const nlohmann::json& detail) {
  std::lock_guard lock(mu_);
  return db_->Transaction([&]() -> Status {
    RETURN_STATUS_IF_ERROR(
        db_->Exec("UPDATE run_steps SET state = ?, updated_at = ? WHERE run_id = ? AND step_id = ?",
                  {state, NowMs() / 1000, run, step}));
    return Append(run, step, event, detail);
  });
}

Status RunJournal::StepStarted(const std::string& run, const std::string& step) {
  std::lock_guard lock(mu_);
  return db_->Transaction([&]() -> Status {
    RETURN_STATUS_IF_ERROR(
        db_->Exec("UPDATE run_steps SET state = 'running', phase = '', error = '', "
                  "attempts = attempts + 1, updated_at = ? WHERE run_id = ? AND step_id = ?",
                  {NowMs() / 1000, run, step}));
    return Append(run, step, "step started", nullptr);
  });
}

Status RunJournal::StepPhase(const std::string& run, const std::string& step,
                             const std::string& phase, const nlohmann::json& detail) {
  std::lock_guard lock(mu_);
  return db_->Transaction([&]() -> Status {
    RETURN_STATUS_IF_ERROR(
        db_->Exec("UPDATE run_steps SET phase = ?, updated_at = ? WHERE run_id = ? AND step_id = ?",
                  {phase, NowMs() / 1000, run, step}));
    return Append(run, step, "phase " + phase, detail);
  });
}

Status RunJournal::StepDone(const std::string& run, const std::string& step,
                            const nlohmann::json& result) {
  std::lock_guard lock(mu_);
  return db_->Transaction([&]() -> Status {
    RETURN_STATUS_IF_ERROR(
        db_->Exec("UPDATE run_steps SET state = 'done', result = ?, error = '', updated_at = ? "
                  "WHERE run_id = ? AND step_id = ?",
                  {result.dump(), NowMs() / 1000, run, step}));
    return Append(run, step, "step done", result);
  });
}

Status RunJournal::StepFailed(const std::string& run, const std::string& step,
                              const std::string& state, const std::string& error) {
  std::lock_guard lock(mu_);
  return db_->Transaction([&]() -> Status {
    RETURN_STATUS_IF_ERROR(
        db_->Exec("UPDATE run_steps SET state = ?, error = ?, updated_at = ? "
                  "WHERE run_id = ? AND step_id = ?",
                  {state, error, NowMs() / 1000, run, step}));
    return Append(run, step, "step " + state, {{"error", error}});
  });
}

Result<RunRecord> RunJournal::Load(const std::string& run) {
  std::lock_guard lock(mu_);
  RunRecord r;
  bool found = false;
  RETURN_IF_ERROR(
      db_->Exec("SELECT id, state, error, plan, created_at, updated_at FROM runs WHERE id = ?",
                {run}, [&](const state::Row& row) {
                  found = true;
                  r.id = row.Text(0);
                  r.state = row.Text(1);
                  r.error = row.Text(2);
                  r.plan = Parse(row.Text(3));
                  r.created_at = row.Int(4);
                  r.updated_at = row.Int(5);
                }));
  if (!found) return Err(NotFound("run " + run + " is not known"));
  RETURN_IF_ERROR(db_->Exec(
      "SELECT step_id, state, phase, attempts, result, error FROM run_steps "
      "WHERE run_id = ? ORDER BY ordinal",
      {run}, [&](const state::Row& row) {
        r.steps.push_back({row.Text(0), row.Text(1), row.Text(2), static_cast<int>(row.Int(3)),
                           Parse(row.Text(4)), row.Text(5), nullptr});
      }));
  for (StepRecord& step : r.steps) {
    if (step.phase.empty()) continue;
    RETURN_IF_ERROR(
        db_->Exec("SELECT detail FROM run_journal WHERE run_id = ? AND step_id = ? AND event = ? "
                  "ORDER BY seq DESC LIMIT 1",
                  {run, step.id, "phase " + step.phase},
                  [&](const state::Row& row) { step.phase_detail = Parse(row.Text(0)); }));
  }
  return r;
}

Result<std::vector<RunRecord>> RunJournal::List() {
  std::lock_guard lock(mu_);
  std::vector<RunRecord> runs;
  RETURN_IF_ERROR(db_->Exec(
      "SELECT id, state, error, created_at, updated_at FROM runs ORDER BY created_at DESC, id", {},
      [&](const state::Row& row) {
        RunRecord r;
        r.id = row.Text(0);
        r.state = row.Text(1);
        r.error = row.Text(2);
        r.created_at = row.Int(3);
        r.updated_at = row.Int(4);
        runs.push_back(std::move(r));
      }));
  for (RunRecord& r : runs) {
    RETURN_IF_ERROR(
        db_->Exec("SELECT step_id, state FROM run_steps WHERE run_id = ? ORDER BY ordinal", {r.id},
                  [&](const state::Row& row) {
                    StepRecord s;
                    s.id = row.Text(0);
                    s.state = row.Text(1);
                    r.steps.push_back(std::move(s));
                  }));
  }
  return runs;
}

Result<std::vector<JournalEntry>> RunJournal::Entries(const std::string& run) {
  std::lock_guard lock(mu_);
  std::vector<JournalEntry> out;
  RETURN_IF_ERROR(db_->Exec(
      "SELECT seq, step_id, at_ms, event, detail FROM run_journal WHERE run_id = ? ORDER BY seq",
      {run}, [&](const state::Row& row) {
        out.push_back({row.Int(0), row.Text(1), row.Int(2), row.Text(3), Parse(row.Text(4))});
      }));
  return out;
}

Result<std::vector<std::string>> RunJournal::MarkInterrupted() {
  std::vector<std::string> runs;
  {
    std::lock_guard lock(mu_);
    RETURN_IF_ERROR(db_->Exec("SELECT id FROM runs WHERE state = 'running'", {},
                              [&](const state::Row& row) { runs.push_back(row.Text(0)); }));
  }
  for (const auto& r : runs) {
    RETURN_IF_ERROR(SetRunState(r, "interrupted", "the orchestrator stopped while it ran"));
  }
  return runs;
}

}  // namespace drover::executor
