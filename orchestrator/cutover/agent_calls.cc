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

Result<std::vector<VolumeOnHost>> HostVolumes(daemon::AgentClient& agents,
                                              const std::string& host) {
  ASSIGN_OR_RETURN(nlohmann::json facts,
                   agents.Call(host, "agent.facts", nlohmann::json::object(), kAgentCallTimeout));
  const nlohmann::json& f = facts.contains("facts") ? facts["facts"] : facts;
  nlohmann::json pool = f.value("pool", nlohmann::json::object());
  std::vector<VolumeOnHost> out;
  for (const auto& v : pool.value("volumes", f.value("volumes", nlohmann::json::array()))) {
    if (!v.is_object() || !v.contains("name") || !v["name"].is_string()) {
      return Err(InvalidArgument("host " + host + " listed a volume without a name: " + v.dump()));
    }
    const auto retired = v.find("retired");
    VolumeOnHost volume;
    volume.name = v["name"].get<std::string>();
    volume.retired = retired != v.end() && retired->is_boolean() && retired->get<bool>();
    // Facts from an agent are input like any other: a field of the wrong
    // type reads as absent rather than throwing.
    auto number = [&](const char* key) -> std::optional<double> {
      auto it = v.find(key);
      if (it == v.end() || !it->is_number()) return std::nullopt;
      return it->get<double>();
    };
    if (auto used = number("used_bytes"); used && *used >= 0) {
      volume.used_bytes = static_cast<uint64_t>(*used);
    }
    if (auto at = number("retired_at")) volume.retired_at = static_cast<int64_t>(*at);
    if (auto g = v.find("retired_guest"); g != v.end() && g->is_string()) {
      volume.retired_guest = g->get<std::string>();
    }
    out.push_back(std::move(volume));
  }
  return out;
}

namespace {

const VolumeOnHost* Find(const std::vector<VolumeOnHost>& list, const std::string& name) {
  auto it =
      std::find_if(list.begin(), list.end(), [&](const VolumeOnHost& v) { return v.name == name; });
  return it == list.end() ? nullptr : &*it;
}

}  // namespace

Result<std::vector<std::string>> RequireAbsentOrRetired(daemon::AgentClient& agents,
                                                        const std::string& host,
                                                        const std::vector<std::string>& volumes) {
  ASSIGN_OR_RETURN(auto existing, HostVolumes(agents, host));
  std::vector<std::string> retired;
  for (const auto& v : volumes) {
    const VolumeOnHost* there = Find(existing, v);
    if (!there) continue;
    if (!there->retired) {
      return Err(AlreadyExists("volume " + v + " already exists on " + host +
                               " and is not a retired copy (a guest there uses it, or drover "
                               "did not retire it)"));
    }
    retired.push_back(v);
  }
  return retired;
}

Status RemoveVolumes(daemon::AgentClient& agents, const std::string& host,
                     const std::vector<std::string>& volumes) {
  ASSIGN_OR_RETURN(auto existing, HostVolumes(agents, host));
  for (const auto& v : volumes) {
    if (!Find(existing, v)) continue;
    auto r = agents.Call(host, "agent.volume.remove", {{"volume", v}}, kAgentCallTimeout);
    if (!r) return r.error().WithContext("removing " + host + ":" + v);
  }
  return Status::Ok();
}

}  // namespace drover::cutover
