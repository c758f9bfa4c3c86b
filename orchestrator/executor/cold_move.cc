#include "orchestrator/executor/cold_move.h"

#include <chrono>

#include "orchestrator/cutover/agent_calls.h"

namespace drover::executor {

using cutover::FindGuest;
using cutover::GuestOnHost;
using cutover::kAgentCallTimeout;
using cutover::RemoveVolumes;
using cutover::RequireAbsentOrRetired;
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

}  // namespace

Result<nlohmann::json> RunColdMove(const ColdMoveRequest& m, daemon::AgentClient& agents,
                                   daemon::JobContext& job) {
  auto t0 = Clock::now();
  ASSIGN_OR_RETURN(auto found, FindGuest(agents, m.from, m.guest));
  if (!found) return Err(NotFound("guest " + m.guest + " is not on " + m.from));
  const GuestOnHost g = *found;
  if (g.volumes.empty()) return Err(InvalidArgument("guest " + m.guest + " has no disks"));
  ASSIGN_OR_RETURN(auto reused, RequireAbsentOrRetired(agents, m.to, g.volumes));
  bool was_running = g.state == "running";
  // Every phase says whether the guest was running: a recovery after a crash
  // puts it back as it was (RecoverStep), not always running.
  auto progress = [&](nlohmann::json p) {
    p["was_running"] = was_running;
    job.Progress(std::move(p));
  };
  nlohmann::json name = {{"name", m.guest}};
  bool copied = false, defined = false;
  // Until the guest runs on the destination: back to the source as it was.
  auto fail = [&](const Status& s) -> Result<nlohmann::json> {
    nlohmann::json notes = nlohmann::json::array();
    if (defined) {
      (void)agents.Call(m.to, "agent.guest.destroy", name, kAgentCallTimeout);
      auto u = agents.Call(m.to, "agent.guest.undefine", name, kAgentCallTimeout);
      if (!u) notes.push_back("undefine on " + m.to + ": " + u.error().ToString());
    }
    if (copied) {
      Status removed = RemoveVolumes(agents, m.to, g.volumes);
      if (!removed.ok()) notes.push_back(removed.ToString());
    }
    if (was_running) {
      auto r = agents.Call(m.from, "agent.guest.start", name, kAgentCallTimeout);
      if (!r) notes.push_back("restart on " + m.from + ": " + r.error().ToString());
    }
    std::string extra = notes.empty() ? "" : " (rollback: " + notes.dump() + ")";
    return Err(s.WithContext("cold move of " + m.guest + " to " + m.to + extra));
  };

  progress({{"phase", "stop"}});
  Clock::time_point stopped = Clock::now();
  if (was_running) {
    auto r = agents.Call(m.from, "agent.guest.stop", {{"name", m.guest}, {"timeout_ms", 3000}},
                         kAgentCallTimeout);
    if (!r) return fail(r.error().WithContext("stop on " + m.from));
  }
  progress({{"phase", "sync"}, {"bytes", 0}});
  copied = true;
  uint64_t bytes = 0;
  for (const auto& v : g.volumes) {
    if (job.cancelled()) return fail(Aborted("cancelled"));
    auto on_sync = [&](const nlohmann::json& t) {
      progress({{"phase", "sync"},
                {"volume", v},
                {"bytes", bytes + t.value("bytes_sent", uint64_t{0})},
                {"seconds", Seconds(stopped)}});
    };
    auto done = agents.Sync({m.from, v, m.to, v, 0}, on_sync, job.cancel_flag());
    if (!done) return fail(done.error().WithContext("sync of " + v));
    bytes +=
        done->value("source_report", nlohmann::json::object()).value("bytes_sent", uint64_t{0});
  }
  progress({{"phase", "define"}, {"bytes", bytes}});
  auto d = agents.Call(m.to, "agent.guest.define", {{"spec", g.spec}}, kAgentCallTimeout);
  if (!d) return fail(d.error().WithContext("define on " + m.to));
  defined = true;
  if (was_running) {
    progress({{"phase", "start"}, {"bytes", bytes}});
    auto s = agents.Call(m.to, "agent.guest.start", name, kAgentCallTimeout);
    if (!s) return fail(s.error().WithContext("start on " + m.to));
  }
  double downtime_ms = std::chrono::duration<double, std::milli>(Clock::now() - stopped).count();

  progress({{"phase", "retire"}, {"bytes", bytes}});
  nlohmann::json result = {{"guest", m.guest},
                           {"from", m.from},
                           {"to", m.to},
                           {"mode", "cold"},
                           {"bytes_sent", bytes},
                           {"retired_volumes", nlohmann::json::array()},
                           {"warnings", nlohmann::json::array()}};
  if (was_running) result["downtime_ms"] = static_cast<uint64_t>(downtime_ms + 0.5);
  if (!reused.empty()) result["updated_retired_volumes"] = reused;
  auto u = agents.Call(m.from, "agent.guest.undefine", name, kAgentCallTimeout);
  if (!u) result["warnings"].push_back("undefine on " + m.from + ": " + u.error().ToString());
  for (const auto& v : g.volumes) {
    auto r = agents.Call(
        m.from, "agent.volume.retire",
        {{"volume", v}, {"reason", "guest " + m.guest + " moved to " + m.to}, {"guest", m.guest}},
        kAgentCallTimeout);
    if (r) result["retired_volumes"].push_back(m.from + ":" + v);
    if (!r) result["warnings"].push_back("retire " + v + ": " + r.error().ToString());
  }
  result["total_s"] = Seconds(t0);
  return result;
}

}  // namespace drover::executor
