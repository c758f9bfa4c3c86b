#include "orchestrator/executor/step_action.h"

#include "orchestrator/cutover/agent_calls.h"
#include "orchestrator/cutover/cutover.h"
#include "orchestrator/executor/cold_move.h"

namespace drover::executor {

using cutover::FindGuest;
using cutover::GuestOnHost;
using cutover::kAgentCallTimeout;
using cutover::RemoveVolumes;
namespace {

using nlohmann::json;

// Destroys the source copy of a guest that runs on the destination and
// retires its volumes: the end of a migration or move that a crash cut short.
Result<Recovery> FinishMove(const plans::Step& step, const std::optional<GuestOnHost>& src,
                            const GuestOnHost& dst, daemon::AgentClient& agents) {
  json name = {{"name", step.guest}};
  json result = {
      {"guest", step.guest}, {"from", step.from},         {"to", step.to},
      {"recovered", true},   {"warnings", json::array()}, {"retired_volumes", json::array()}};
  if (src) {
    for (const char* call : {"agent.guest.destroy", "agent.guest.undefine"}) {
      auto r = agents.Call(step.from, call, name, kAgentCallTimeout);
      if (!r && r.error().code() != Code::kNotFound) {
        return Err(r.error().WithContext(std::string(call) + " on " + step.from));
      }
    }
  }
  for (const auto& v : dst.volumes) {
    auto r = agents.Call(step.from, "agent.volume.retire",
                         {{"volume", v},
                          {"reason", "guest " + step.guest + " moved to " + step.to},
                          {"guest", step.guest}},
                         kAgentCallTimeout);
    if (r) result["retired_volumes"].push_back(step.from + ":" + v);
    if (!r) result["warnings"].push_back("retire " + v + ": " + r.error().ToString());
  }
  return Recovery{true, result};
}

// Puts a guest whose migration or move did not finish back on its source:
// running, with the destination's partial copy gone.
Result<Recovery> UndoMove(const plans::Step& step, const std::string& last_phase,
                          const nlohmann::json& phase_detail, const std::optional<GuestOnHost>& src,
                          const std::optional<GuestOnHost>& dst, daemon::AgentClient& agents) {
  // A migrated guest was running; a cold move says whether its guest was
  // (a journal from before it said so, or one that says it in a form not
  // understood: assume running, as before).
  const auto said =
      phase_detail.is_object() ? phase_detail.find("was_running") : phase_detail.end();
  const bool was_running = step.action == "migrate" || said == phase_detail.end() ||
                           !said->is_boolean() || said->get<bool>();
  if (!src) {
    return Err(Aborted("guest " + step.guest + " is neither defined on " + step.from +
                       " nor running on " + step.to + ": left alone for an operator"));
  }
  json name = {{"name", step.guest}};
  json notes = json::array();
  auto note = [&](const std::string& what, const Result<json>& r) {
    notes.push_back(
        {{"step", what}, {"ok", r.has_value()}, {"error", r ? "" : r.error().ToString()}});
  };
  if (step.action == "migrate") {
    note("abort_out", agents.Call(step.from, "agent.migrate.abort_out", name, kAgentCallTimeout));
    if (dst)
      note("abort_in", agents.Call(step.to, "agent.migrate.abort_in", name, kAgentCallTimeout));
  } else if (dst) {
    (void)agents.Call(step.to, "agent.guest.destroy", name, kAgentCallTimeout);
    note("undefine on " + step.to,
         agents.Call(step.to, "agent.guest.undefine", name, kAgentCallTimeout));
  }
  // The step got past its checks (its first phase was journaled): the
  // destination had none of these volumes, so what is there is its copy.
  if (!last_phase.empty()) {
    Status removed = RemoveVolumes(agents, step.to, src->volumes);
    if (!removed.ok()) return Err(removed.WithContext("discarding the copy on " + step.to));
  }
  ASSIGN_OR_RETURN(auto now, FindGuest(agents, step.from, step.guest));
  if (!was_running) {
    if (!now) {
      return Err(Aborted("guest " + step.guest + " is gone from " + step.from +
                         " after undoing the step: " + notes.dump()));
    }
    return Recovery{false, {{"undone", notes}, {"left", now->state}}};
  }
  if (now && now->state != "running" && !last_phase.empty()) {
    const char* call = now->state == "shutoff" ? "agent.guest.start" : "agent.guest.resume";
    note(call, agents.Call(step.from, call, name, kAgentCallTimeout));
    ASSIGN_OR_RETURN(now, FindGuest(agents, step.from, step.guest));
  }
  if (!last_phase.empty() && (!now || now->state != "running")) {
    return Err(Aborted("guest " + step.guest + " is " + (now ? now->state : "gone") + " on " +
                       step.from + " after undoing the step: " + notes.dump()));
  }
  return Recovery{false, {{"undone", notes}}};
}

Result<Recovery> RecoverMove(const plans::Step& step, const std::string& last_phase,
                             const nlohmann::json& phase_detail, daemon::AgentClient& agents) {
  ASSIGN_OR_RETURN(auto src, FindGuest(agents, step.from, step.guest));
  ASSIGN_OR_RETURN(auto dst, FindGuest(agents, step.to, step.guest));
  if (dst && dst->state == "running") {
    if (src && src->state == "running") {
      return Err(Aborted("guest " + step.guest + " runs on both " + step.from + " and " + step.to +
                         ": left alone for an operator"));
    }
    return FinishMove(step, src, *dst, agents);
  }
  // Memory went over and the source stopped for good: resume the destination.
  if (step.action == "migrate" && (last_phase == "cutover" || last_phase == "retire") && dst &&
      src && src->state == "migrated") {
    auto resumed =
        agents.Call(step.to, "agent.migrate.finish_in", {{"name", step.guest}}, kAgentCallTimeout);
    if (resumed && resumed->value("state", "") == "running") {
      return FinishMove(step, src, *dst, agents);
    }
  }
  return UndoMove(step, last_phase, phase_detail, src, dst, agents);
}

Result<Recovery> RecoverClone(const plans::Step& step, const std::string& last_phase,
                              daemon::AgentClient& agents) {
  ASSIGN_OR_RETURN(auto clone, FindGuest(agents, step.to, step.new_name));
  if (clone) {
    return Recovery{true,
                    {{"guest", step.guest},
                     {"from", step.from},
                     {"to", step.to},
                     {"name", step.new_name},
                     {"volumes", clone->volumes},
                     {"recovered", true}}};
  }
  if (last_phase.empty()) return Recovery{false, json::object()};
  ASSIGN_OR_RETURN(auto src, FindGuest(agents, step.from, step.guest));
  if (!src) return Err(NotFound("guest " + step.guest + " is not on " + step.from));
  std::vector<std::string> copies;
  for (const auto& v : src->volumes) {
    copies.push_back(cutover::CloneVolumeName(v, step.guest, step.new_name));
  }
  RETURN_IF_ERROR(RemoveVolumes(agents, step.to, copies));
  return Recovery{false, {{"discarded", copies}}};
}

}  // namespace

Result<json> RunStep(const plans::Step& step, const StepOptions& options,
                     daemon::AgentClient& agents, daemon::JobContext& job) {
  if (step.action == "migrate") {
    ASSIGN_OR_RETURN(cutover::MigrateRequest m,
                     cutover::ParseMigrate({{"guest", step.guest},
                                            {"from", step.from},
                                            {"to", step.to},
                                            {"downtime_ms", options.downtime_ms},
                                            {"max_rounds", options.max_rounds},
                                            {"policy", options.policy}}));
    return cutover::RunMigrate(m, agents, job);
  }
  if (step.action == "move") return RunColdMove({step.guest, step.from, step.to}, agents, job);
  if (step.action == "clone") {
    ASSIGN_OR_RETURN(cutover::CloneRequest c, cutover::ParseClone({{"guest", step.guest},
                                                                   {"from", step.from},
                                                                   {"to", step.to},
                                                                   {"new_name", step.new_name}}));
    return cutover::RunClone(c, agents, job);
  }
  return Err(InvalidArgument("step " + step.id + ": unknown action '" + step.action + "'"));
}

Result<Recovery> RecoverStep(const plans::Step& step, const std::string& last_phase,
                             const nlohmann::json& phase_detail, daemon::AgentClient& agents) {
  if (step.action == "migrate" || step.action == "move") {
    return RecoverMove(step, last_phase, phase_detail, agents);
  }
  if (step.action == "clone") return RecoverClone(step, last_phase, agents);
  return Err(InvalidArgument("step " + step.id + ": unknown action '" + step.action + "'"));
}

}  // namespace drover::executor
