#include "orchestrator/cutover/cutover.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include "orchestrator/cutover/agent_calls.h"
#include "orchestrator/cutover/final_round.h"
#include "orchestrator/cutover/round.h"

namespace drover::cutover {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using std::chrono::milliseconds;

constexpr milliseconds kMemoryTimeout{180000};  // memory pre-copy to pre-switchover
// The source agent resumes a guest left paused longer than this (its pause
// watchdog): a dead orchestrator must not leave the guest stopped.
constexpr milliseconds kPauseDeadline{15000};

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

Result<std::string> Field(const json& body, const char* name) {
  if (!body.contains(name) || !body[name].is_string() || body[name].get<std::string>().empty()) {
    return Err(InvalidArgument(std::string(name) + ": required"));
  }
  return body[name].get<std::string>();
}

// The guest's definition on `host` (disks as volume names) and its volumes.
Result<GuestOnHost> GetGuest(daemon::AgentClient& agents, const std::string& host,
                             const std::string& guest) {
  ASSIGN_OR_RETURN(auto found, FindGuest(agents, host, guest));
  if (!found) return Err(NotFound("guest " + guest + " is not on " + host));
  if (found->volumes.empty()) return Err(InvalidArgument("guest " + guest + " has no disks"));
  return *found;
}

// One sync round over every volume (round.h holds its figures).
Result<Round> SyncRound(daemon::AgentClient& agents, daemon::JobContext& job,
                        const std::string& from, const std::string& to,
                        const std::vector<std::string>& src, const std::vector<std::string>& dst,
                        const std::string& phase, int k) {
  Round r;
  auto start = Clock::now();
  // The phase is journaled before the destination makes any volume: a
  // recovery after a crash undoes (removes) copies only of steps that got
  // this far, and must not leave one behind that blocks every retry.
  job.Progress({{"phase", phase}, {"round", k}, {"bytes", 0}, {"seconds", 0.0}});
  for (size_t i = 0; i < src.size(); ++i) {
    daemon::SyncRequest req{from, src[i], to, dst[i], 0};
    auto progress = [&](const json& t) {
      job.Progress({{"phase", phase},
                    {"round", k},
                    {"volume", src[i]},
                    {"bytes", r.bytes_sent + t.value("bytes_sent", uint64_t{0})},
                    {"seconds", Seconds(start)}});
    };
    auto done = agents.Sync(req, progress, job.cancel_flag());
    if (!done) return Err(done.error().WithContext(phase + " of " + src[i]));
    r.Add(done->value("source_report", json::object()));
    r.volume_bytes.push_back(done->value("volume_bytes", uint64_t{0}));
  }
  r.seconds = Seconds(start);
  job.Progress({{"phase", phase}, {"round", k}, {"bytes", r.bytes_sent}, {"seconds", r.seconds}});
  return r;
}

// Test hook: DROVER_TEST_HOLD_PAUSE_MS in the orchestrator's environment
// keeps the guest paused that long (or until the job is cancelled) before
// the final round, so that an integration test can abort inside the pause
// window deterministically. Unset in any real deployment.
// QEMU's downtime-limit: it pauses the guest once the memory left would go
// within it. Our pause also holds the final disk round and the resume, so
// memory gets a quarter of the budget (at least 10 ms).
uint64_t MemoryDowntimeLimitMs(uint64_t budget_ms) { return std::max<uint64_t>(10, budget_ms / 4); }

void HoldPauseForTests(daemon::JobContext& job) {
  const char* env = std::getenv("DROVER_TEST_HOLD_PAUSE_MS");
  if (env == nullptr) return;
  auto until = Clock::now() + milliseconds(std::strtoll(env, nullptr, 10));
  while (Clock::now() < until && !job.cancelled()) std::this_thread::sleep_for(milliseconds(10));
}

// Undoes a migration that did not reach the destination's resume.
json Rollback(daemon::AgentClient& agents, const MigrateRequest& m,
              const std::vector<std::string>& created, bool continued) {
  json notes = json::array();
  auto note = [&](const std::string& what, const Result<json>& r) {
    notes.push_back(
        {{"step", what}, {"ok", r.has_value()}, {"error", r ? "" : r.error().ToString()}});
  };
  json name = {{"name", m.guest}};
  if (!continued)
    note("abort_out", agents.Call(m.from, "agent.migrate.abort_out", name, kAgentCallTimeout));
  note("abort_in", agents.Call(m.to, "agent.migrate.abort_in", name, kAgentCallTimeout));
  // After a completed memory stream the source is stopped: run it again.
  note("resume_source", agents.Call(m.from, "agent.guest.resume", name, kAgentCallTimeout));
  for (const auto& v : created) {
    note("remove " + v,
         agents.Call(m.to, "agent.volume.remove", {{"volume", v}}, kAgentCallTimeout));
  }
  return notes;
}

}  // namespace

Result<MigrateRequest> ParseMigrate(const json& body) {
  MigrateRequest m;
  ASSIGN_OR_RETURN(m.guest, Field(body, "guest"));
  ASSIGN_OR_RETURN(m.from, Field(body, "from"));
  ASSIGN_OR_RETURN(m.to, Field(body, "to"));
  if (m.from == m.to) return Err(InvalidArgument("guest " + m.guest + " is already on " + m.to));
  int64_t downtime = body.value("downtime_ms", int64_t{300});
  int64_t rounds = body.value("max_rounds", int64_t{5});
  if (downtime < 1 || rounds < 0 || rounds > 100) {
    return Err(InvalidArgument("need downtime_ms >= 1 and 0 <= max_rounds <= 100"));
  }
  m.downtime_ms = static_cast<uint64_t>(downtime);
  m.max_rounds = static_cast<int>(rounds);
  m.policy = body.value("policy", "stop");
  if (m.policy != "stop" && m.policy != "proceed") {
    return Err(InvalidArgument("policy: stop or proceed"));
  }
  return m;
}

Result<CloneRequest> ParseClone(const json& body) {
  CloneRequest c;
  ASSIGN_OR_RETURN(c.guest, Field(body, "guest"));
  ASSIGN_OR_RETURN(c.from, Field(body, "from"));
  ASSIGN_OR_RETURN(c.to, Field(body, "to"));
  c.new_name = body.value("new_name", c.guest + "-clone");
  if (c.new_name == c.guest && c.from == c.to) {
    return Err(InvalidArgument("a clone on the same host needs a new name"));
  }
  return c;
}

std::string CloneVolumeName(const std::string& volume, const std::string& guest,
                            const std::string& new_name) {
  if (volume.rfind(guest, 0) == 0) return new_name + volume.substr(guest.size());
  return new_name + "-" + volume;
}

Result<json> RunMigrate(const MigrateRequest& m, daemon::AgentClient& agents,
                        daemon::JobContext& job) {
  auto t0 = Clock::now();
  ASSIGN_OR_RETURN(GuestOnHost g, GetGuest(agents, m.from, m.guest));
  if (g.state != "running") {
    return Err(InvalidArgument("guest " + m.guest + " is " + g.state + ", not running"));
  }
  ASSIGN_OR_RETURN(auto reused, RequireAbsentOrRetired(agents, m.to, g.volumes));
  json result = {{"guest", m.guest}, {"from", m.from}, {"to", m.to}, {"rounds", json::array()}};
  if (!reused.empty()) result["updated_retired_volumes"] = reused;
  std::vector<std::string> created;    // destination volumes this job made
  std::vector<FinalSend> final_sends;  // bound on the destination, maybe started
  bool continued = false;
  auto fail = [&](const Status& s) -> Result<json> {
    CancelFinalRound(agents, m.from, m.to, final_sends);
    json notes = Rollback(agents, m, created, continued);
    return Err(s.WithContext("migrate " + m.guest + " (rolled back to " + m.from + ": " +
                             notes.dump() + ")"));
  };

  // 1. Full sync while the guest runs.
  auto full = SyncRound(agents, job, m.from, m.to, g.volumes, g.volumes, "full sync", 0);
  created = g.volumes;
  if (!full) return fail(full.error());
  result["rounds"].push_back(full->ToJson(0));
  double rate = full->bytes_sent / std::max(full->seconds, 0.001);
  uint64_t budget_bytes = static_cast<uint64_t>(rate * m.downtime_ms / 1000.0);
  result["budget_bytes"] = budget_bytes;

  // 2. Pre-copy rounds until one fits the downtime budget.
  bool converged = false;
  for (int k = 1; k <= m.max_rounds && !converged; ++k) {
    auto r = SyncRound(agents, job, m.from, m.to, g.volumes, g.volumes, "round", k);
    if (!r) return fail(r.error());
    result["rounds"].push_back(r->ToJson(k));
    converged =
        r->bytes_sent <= budget_bytes || r->seconds * 1000.0 <= static_cast<double>(m.downtime_ms);
  }
  result["converged"] = converged;
  if (!converged && m.policy == "stop") {
    return fail(Infeasible("guest " + m.guest + " does not converge: after " +
                           std::to_string(m.max_rounds) +
                           " rounds a round still sends more than "
                           "the downtime budget of " +
                           std::to_string(m.downtime_ms) +
                           " ms carries; it writes faster than the link (policy: stop)"));
  }
  if (job.cancelled()) return fail(Aborted("cancelled"));

  // 3. Memory: destination held paused, source runs until pre-switchover.
  // The final round's receivers are bound first, while nothing waits on them.
  job.Progress({{"phase", "memory"}, {"bytes", 0}});
  // The receivers must outlast the memory migration.
  Status bound = PrepareFinalRound(agents, m.from, m.to, g.volumes, full->volume_bytes,
                                   kMemoryTimeout + milliseconds(60000), final_sends);
  if (!bound.ok()) return fail(bound.WithContext("preparing the final round"));
  auto prepared =
      agents.Call(m.to, "agent.migrate.prepare_in", {{"spec", g.spec}}, kAgentCallTimeout);
  if (!prepared) return fail(prepared.error().WithContext("prepare_in"));
  json out = {{"name", m.guest},
              {"uri", (*prepared)["uri"]},
              {"downtime_limit_ms", MemoryDowntimeLimitMs(m.downtime_ms)},
              {"pause_deadline_ms", kPauseDeadline.count()}};
  auto started = agents.Call(m.from, "agent.migrate.start_out", out, kAgentCallTimeout);
  if (!started) return fail(started.error().WithContext("start_out"));
  Clock::time_point paused;
  for (auto deadline = Clock::now() + kMemoryTimeout;;) {
    auto s = agents.Call(m.from, "agent.migrate.wait_switchover",
                         {{"name", m.guest}, {"timeout_ms", 500}}, kAgentCallTimeout);
    if (!s) return fail(s.error().WithContext("wait_switchover"));
    std::string phase = s->value("phase", "");
    if (phase == "pre-switchover" || phase == "pre_switchover" || phase == "preswitchover") {
      paused = Clock::now();
      result["memory_bytes"] = s->value("transferred_bytes", uint64_t{0});
      break;
    }
    if (phase != "active")
      return fail(Aborted("memory migration " + phase + ": " + s->value("error", "")));
    if (job.cancelled()) return fail(Aborted("cancelled"));
    if (Clock::now() > deadline) return fail(Timeout("memory did not converge"));
    job.Progress({{"phase", "memory"},
                  {"bytes", s->value("transferred_bytes", uint64_t{0})},
                  {"remaining", s->value("remaining_bytes", uint64_t{0})}});
  }

  // 4. Final round inside the pause: the source volumes are quiescent.
  int final_k = static_cast<int>(result["rounds"].size());
  job.Progress({{"phase", "final round"}, {"round", final_k}, {"bytes", 0}});
  HoldPauseForTests(job);
  if (job.cancelled()) return fail(Aborted("cancelled"));
  auto last = RunFinalRound(agents, job, m.from, final_sends);
  if (!last) return fail(last.error().WithContext("final round"));
  // The last moment an abort can still send the guest back to the source.
  if (job.cancelled()) return fail(Aborted("cancelled"));
  result["rounds"].push_back(last->ToJson(final_k));
  auto final_done = Clock::now();

  // 5. Continue, resume on the destination, confirm it runs.
  job.Progress({{"phase", "cutover"},
                {"round", final_k},
                {"bytes", last->bytes_sent},
                {"seconds", last->seconds}});
  auto cont =
      agents.Call(m.from, "agent.migrate.continue_out", {{"name", m.guest}}, kAgentCallTimeout);
  if (!cont) return fail(cont.error().WithContext("continue_out"));
  if (cont->value("phase", "") != "completed") {
    return fail(
        Aborted("memory migration " + cont->value("phase", "") + ": " + cont->value("error", "")));
  }
  continued = true;
  auto continue_done = Clock::now();
  result["hypervisor_downtime_ms"] = cont->value("downtime_ms", uint64_t{0});
  auto resumed =
      agents.Call(m.to, "agent.migrate.finish_in", {{"name", m.guest}}, kAgentCallTimeout);
  if (!resumed) return fail(resumed.error().WithContext("finish_in"));
  if (resumed->value("state", "") != "running") {
    return fail(Aborted("destination guest is " + resumed->value("state", "") + " after resume"));
  }
  auto ms = [](Clock::duration d) {
    return static_cast<uint64_t>(std::chrono::duration<double, std::milli>(d).count() + 0.5);
  };
  auto running = Clock::now();
  result["downtime_ms"] = ms(running - paused);
  // Where the pause went: the final disk round, the rest of the memory
  // stream (continue_out), the destination's resume (finish_in).
  result["pause"] = {{"final_round_ms", ms(final_done - paused)},
                     {"continue_ms", ms(continue_done - final_done)},
                     {"finish_ms", ms(running - continue_done)}};

  // QEMU's own figure: the reply of continue_out may precede it.
  if (result.value("hypervisor_downtime_ms", uint64_t{0}) == 0) {
    auto q = agents.Call(m.from, "agent.migrate.query_out", {{"name", m.guest}}, kAgentCallTimeout);
    if (q) result["hypervisor_downtime_ms"] = q->value("downtime_ms", uint64_t{0});
  }

  // 6. The source guest goes; its volumes stay, retired.
  job.Progress({{"phase", "retire"}});
  json warnings = json::array();
  json name = {{"name", m.guest}};
  for (const char* step : {"agent.guest.destroy", "agent.guest.undefine"}) {
    auto r = agents.Call(m.from, step, name, kAgentCallTimeout);
    if (!r) warnings.push_back(std::string(step) + ": " + r.error().ToString());
  }
  result["retired_volumes"] = json::array();
  for (const auto& v : g.volumes) {
    auto r = agents.Call(m.from, "agent.volume.retire",
                         {{"volume", v},
                          {"reason", "guest " + m.guest + " migrated to " + m.to},
                          {"guest", m.guest}},
                         kAgentCallTimeout);
    if (r) result["retired_volumes"].push_back(m.from + ":" + v);
    if (!r) warnings.push_back("retire " + v + ": " + r.error().ToString());
  }
  result["warnings"] = warnings;
  result["total_s"] = Seconds(t0);
  return result;
}

Result<json> RunClone(const CloneRequest& c, daemon::AgentClient& agents, daemon::JobContext& job) {
  auto t0 = Clock::now();
  ASSIGN_OR_RETURN(GuestOnHost g, GetGuest(agents, c.from, c.guest));
  std::vector<std::string> dst;
  for (const auto& v : g.volumes) dst.push_back(CloneVolumeName(v, c.guest, c.new_name));
  ASSIGN_OR_RETURN(auto reused, RequireAbsentOrRetired(agents, c.to, dst));
  auto exists = agents.Call(c.to, "agent.guest.get", {{"name", c.new_name}}, kAgentCallTimeout);
  if (exists) return Err(AlreadyExists("guest " + c.new_name + " already exists on " + c.to));
  auto discard = [&](const Status& s) -> Result<json> {
    for (const auto& v : dst) {
      (void)agents.Call(c.to, "agent.volume.remove", {{"volume", v}}, kAgentCallTimeout);
    }
    return Err(s.WithContext("clone " + c.guest + " as " + c.new_name));
  };
  // Each sync reads a snapshot of the source volume: the original runs on.
  auto r = SyncRound(agents, job, c.from, c.to, g.volumes, dst, "sync", 0);
  if (!r) return discard(r.error());
  job.Progress({{"phase", "define"}});
  auto made = agents.Call(c.to, "agent.guest.clone",
                          {{"spec", g.spec}, {"new_name", c.new_name}, {"volumes", dst}},
                          kAgentCallTimeout);
  if (!made) return discard(made.error());
  json result{{"guest", c.guest},      {"from", c.from},          {"to", c.to},
              {"name", c.new_name},    {"macs", (*made)["macs"]}, {"volumes", dst},
              {"round", r->ToJson(0)}, {"total_s", Seconds(t0)}};
  if (!reused.empty()) result["updated_retired_volumes"] = reused;
  return result;
}

}  // namespace drover::cutover
