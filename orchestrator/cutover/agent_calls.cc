#include "orchestrator/cutover/agent_calls.h"

#include <algorithm>

namespace drover::cutover {

Result<std::optional<GuestOnHost>> FindGuest(daemon::AgentClient& agents, const std::string& host,
                                             const std::string& guest) {
  auto g = agents.Call(host, "agent.guest.get", {{"name", guest}}, kAgentCallTimeout);
  if (!g) {
    if (g.error().code() == Code::kNotFound) return std::optional<GuestOnHost>();
    return Err(g.error().WithContext("asking " + host + " for guest " + guest));
  }
  GuestOnHost out{g->value("spec", nlohmann::json::object()), g->value("state", ""), {}};
  for (const auto& d : out.spec.value("disks", nlohmann::json::array())) {
    if (d.contains("path") && d["path"].is_string()) out.volumes.push_back(d["path"]);
  }
  return std::optional<GuestOnHost>(std::move(out));
}

Result<std::vector<std::string>> HostVolumes(daemon::AgentClient& agents, const std::string& host) {
  ASSIGN_OR_RETURN(nlohmann::json facts,
                   agents.Call(host, "agent.facts", nlohmann::json::object(), kAgentCallTimeout));
  const nlohmann::json& f = facts.contains("facts") ? facts["facts"] : facts;
  nlohmann::json pool = f.value("pool", nlohmann::json::object());
  std::vector<std::string> names;
  for (const auto& v : pool.value("volumes", f.value("volumes", nlohmann::json::array()))) {
    names.push_back(v.value("name", ""));
  }
  return names;
}

Status RequireAbsent(daemon::AgentClient& agents, const std::string& host,
                     const std::vector<std::string>& volumes) {
  ASSIGN_OR_RETURN(auto existing, HostVolumes(agents, host));
  for (const auto& v : volumes) {
    if (std::find(existing.begin(), existing.end(), v) != existing.end()) {
      return AlreadyExists("volume " + v + " already exists on " + host);
    }
  }
  return Status::Ok();
}

Status RemoveVolumes(daemon::AgentClient& agents, const std::string& host,
                     const std::vector<std::string>& volumes) {
  ASSIGN_OR_RETURN(auto existing, HostVolumes(agents, host));
  for (const auto& v : volumes) {
    if (std::find(existing.begin(), existing.end(), v) == existing.end()) continue;
    auto r = agents.Call(host, "agent.volume.remove", {{"volume", v}}, kAgentCallTimeout);
    if (!r) return r.error().WithContext("removing " + host + ":" + v);
  }
  return Status::Ok();
}

}  // namespace drover::cutover
