#include "orchestrator/cutover/purge_retired.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "orchestrator/cutover/agent_calls.h"

namespace drover::cutover {
namespace {

using nlohmann::json;

// The online host other than `except` that runs `guest`, if any.
const std::string* RunsElsewhere(const RunningGuests& running, const std::string& guest,
                                 const std::string& except) {
  auto it = running.find(guest);
  if (it == running.end()) return nullptr;
  for (const auto& host : it->second) {
    if (host != except) return &host;
  }
  return nullptr;
}

}  // namespace

Result<RunningGuests> FindRunningGuests(daemon::AgentClient& agents) {
  ASSIGN_OR_RETURN(std::vector<daemon::HostView> hosts, agents.Hosts());
  RunningGuests running;
  for (const auto& h : hosts) {
    if (!h.online) continue;
    // Fresh facts: what the host runs now, not at its registration.
    auto reply = agents.Call(h.name, "agent.facts", json::object(), kAgentCallTimeout);
    if (!reply) continue;  // unreachable now: its guests do not count
    const json& facts = reply->contains("facts") ? (*reply)["facts"] : *reply;
    auto guests = facts.find("guests");
    if (guests == facts.end() || !guests->is_array()) continue;
    for (const auto& g : *guests) {
      if (!g.is_object() || !g.contains("name") || !g["name"].is_string()) continue;
      auto state = g.find("state");
      if (state != g.end() && state->is_string() && state->get<std::string>() == "running") {
        running[g["name"].get<std::string>()].push_back(h.name);
      }
    }
  }
  return running;
}

Result<PurgeRequest> ParsePurge(const json& body) {
  PurgeRequest r;
  if (!body.contains("host") || !body["host"].is_string() ||
      body["host"].get<std::string>().empty()) {
    return Err(InvalidArgument("host: required"));
  }
  r.host = body["host"];
  if (body.contains("volumes")) {
    if (!body["volumes"].is_array()) return Err(InvalidArgument("volumes: not an array"));
    for (const auto& v : body["volumes"]) {
      if (!v.is_string() || v.get<std::string>().empty()) {
        return Err(InvalidArgument("volumes: each must be a volume name, got " + v.dump()));
      }
      r.volumes.push_back(v);
    }
  }
  if (body.contains("older_than_s")) {
    if (!body["older_than_s"].is_number_integer() || body["older_than_s"].get<int64_t>() < 0) {
      return Err(InvalidArgument("older_than_s: a number of seconds >= 0"));
    }
    r.older_than_s = body["older_than_s"].get<int64_t>();
  }
  for (const char* flag : {"force", "dry_run"}) {
    if (body.contains(flag) && !body[flag].is_boolean()) {
      return Err(InvalidArgument(std::string(flag) + ": true or false"));
    }
  }
  r.force = body.value("force", false);
  r.dry_run = body.value("dry_run", false);
  return r;
}

Result<json> RunPurge(const PurgeRequest& r, daemon::AgentClient& agents, daemon::JobContext* job,
                      int64_t now_s, const RunningGuests* known_running) {
  ASSIGN_OR_RETURN(daemon::HostView host, agents.Host(r.host));
  if (!host.online) return Err(Unavailable("host " + r.host + " is unreachable"));
  ASSIGN_OR_RETURN(std::vector<VolumeOnHost> volumes, HostVolumes(agents, r.host));
  std::map<std::string, const VolumeOnHost*> retired;
  for (const auto& v : volumes) {
    if (v.retired) retired[v.name] = &v;
  }

  json result = {{"host", r.host},
                 {"dry_run", r.dry_run},
                 {"purged", json::array()},
                 {"kept", json::array()},
                 {"freed_bytes", 0}};
  auto keep = [&](const std::string& volume, const std::string& why) {
    result["kept"].push_back({{"volume", volume}, {"why", why}});
  };
  std::vector<const VolumeOnHost*> candidates;
  if (r.volumes.empty()) {
    for (const auto& [name, v] : retired) candidates.push_back(v);
  } else {
    for (const auto& name : std::set<std::string>(r.volumes.begin(), r.volumes.end())) {
      auto it = retired.find(name);
      if (it == retired.end()) {
        keep(name, "not a retired copy on " + r.host);
      } else {
        candidates.push_back(it->second);
      }
    }
  }
  RunningGuests asked;
  const RunningGuests* running = known_running;
  if (running == nullptr && !r.force && !candidates.empty()) {
    ASSIGN_OR_RETURN(asked, FindRunningGuests(agents));
    running = &asked;
  }
  auto elsewhere = [&](const std::string& guest) -> const std::string* {
    return running == nullptr || guest.empty() ? nullptr : RunsElsewhere(*running, guest, r.host);
  };
  uint64_t freed = 0;
  for (const VolumeOnHost* v : candidates) {
    if (job != nullptr && job->cancelled()) {
      keep(v->name, "cancelled");
      continue;
    }
    if (r.older_than_s && now_s - v->retired_at < *r.older_than_s) {
      keep(v->name, "retired " + std::to_string(now_s - v->retired_at) + " s ago, less than " +
                        std::to_string(*r.older_than_s) + " s");
      continue;
    }
    if (!r.force) {
      if (v->retired_guest.empty()) {
        keep(v->name,
             "its retirement record names no guest, so drover cannot check that the "
             "guest runs elsewhere (--force to purge it)");
        continue;
      }
      if (elsewhere(v->retired_guest) == nullptr) {
        keep(v->name, "guest " + v->retired_guest +
                          " runs on no other online host: this may be its last copy (--force "
                          "to purge it)");
        continue;
      }
    }
    if (job != nullptr) job->Progress({{"phase", "purge"}, {"volume", v->name}});
    if (!r.dry_run) {
      auto done =
          agents.Call(r.host, "agent.volume.purge", {{"volume", v->name}}, kAgentCallTimeout);
      if (!done) {
        keep(v->name, done.error().ToString());
        continue;
      }
    }
    json entry = {{"volume", v->name}, {"freed_bytes", v->used_bytes}};
    if (const std::string* host = elsewhere(v->retired_guest)) entry["guest_runs_on"] = *host;
    result["purged"].push_back(std::move(entry));
    freed += v->used_bytes;
  }
  result["freed_bytes"] = freed;
  return result;
}

int SweepRetired(daemon::AgentClient& agents, int64_t retention_s, int64_t now_s) {
  auto hosts = agents.Hosts();
  if (!hosts) {
    spdlog::warn("retention sweep: {}", hosts.error().ToString());
    return 0;
  }
  // Asked once per sweep, not once per host: a sweep costs two calls per host.
  auto running = FindRunningGuests(agents);
  if (!running) {
    spdlog::warn("retention sweep: {}", running.error().ToString());
    return 0;
  }
  int purged = 0;
  for (const auto& h : *hosts) {
    if (!h.online) continue;
    PurgeRequest r;
    r.host = h.name;
    r.older_than_s = retention_s;
    auto done = RunPurge(r, agents, nullptr, now_s, &*running);
    if (!done) {
      spdlog::warn("retention sweep of {}: {}", h.name, done.error().ToString());
      continue;
    }
    for (const auto& p : (*done)["purged"]) {
      spdlog::info("retention: purged retired copy {} on {} ({} bytes; its guest runs on {})",
                   p.value("volume", ""), h.name, p.value("freed_bytes", uint64_t{0}),
                   p.value("guest_runs_on", "?"));
      ++purged;
    }
  }
  return purged;
}

}  // namespace drover::cutover
