#include "agent/daemon/guest_service.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include "agent/daemon/change_bases.h"
#include "agent/sync/hash_cache.h"
#include "common/log.h"

namespace drover::agent {
namespace {

using std::chrono::milliseconds;

// How long a guest paused for a cutover waits for the orchestrator.
constexpr int64_t kDefaultPauseDeadlineMs = 15000;

Result<std::string> NameOf(const nlohmann::json& b) {
  if (!b.contains("name") || !b["name"].is_string()) return Err(InvalidArgument("name: required"));
  return b["name"].get<std::string>();
}

// An optional string field: "" when absent, an error naming it when not a string.
Result<std::string> OptionalString(const nlohmann::json& b, const char* field) {
  if (!b.contains(field) || b[field].is_null()) return std::string();
  if (!b[field].is_string()) return Err(InvalidArgument(std::string(field) + ": not a string"));
  return b[field].get<std::string>();
}

Result<nlohmann::json> Done(const Status& s) {
  if (!s.ok()) return Err(s);
  return nlohmann::json{{"ok", true}};
}

milliseconds Bounded(const nlohmann::json& b, int64_t dflt, int64_t max) {
  int64_t ms = b.value("timeout_ms", dflt);
  return milliseconds(std::clamp<int64_t>(ms, 0, max));
}

}  // namespace

nlohmann::json StatusToJson(const hv::MigrationStatus& s) {
  return {{"phase", std::string(hv::PhaseName(s.phase))},
          {"transferred_bytes", s.transferred_bytes},
          {"remaining_bytes", s.remaining_bytes},
          {"total_bytes", s.total_bytes},
          {"total_ms", s.total_ms},
          {"downtime_ms", s.downtime_ms},
          {"error", s.error}};
}

void GuestService::RearmWatchdogs() {
  auto guests = config_.hv->List();
  if (!guests) return;
  for (const auto& g : *guests) {
    auto st = config_.hv->QueryMigrationOut(g.name);
    if (st && (st->phase == hv::MigrationPhase::kActive ||
               st->phase == hv::MigrationPhase::kPreSwitchover)) {
      spdlog::warn(
          "guest {} is migrating out since before this agent started: "
          "its pause watchdog is armed again ({} ms)",
          g.name, kDefaultPauseDeadlineMs);
      watchdog_.Arm(g.name, milliseconds(kDefaultPauseDeadlineMs));
    }
  }
}

void GuestService::Register(Agent& agent) {
  // An agent restarted while one of its guests migrates out (perhaps paused
  // at pre-switchover) watches it again.
  RearmWatchdogs();
  auto on = [&agent](const std::string& type, auto fn) {
    agent.Handle(type, [fn](const wire::Message& m) { return fn(m.body); });
  };
  hv::Hypervisor* h = config_.hv;
  on("agent.guest.define", [this](Body b) { return Define(b); });
  on("agent.guest.get", [this](Body b) { return Get(b); });
  on("agent.guest.clone", [this](Body b) { return Clone(b); });
  on("agent.volume.retire", [this](Body b) { return Retire(b); });
  on("agent.guest.start", [h](Body b) -> Result<nlohmann::json> {
    ASSIGN_OR_RETURN(std::string name, NameOf(b));
    return Done(h->Start(name));
  });
  on("agent.guest.stop", [h](Body b) -> Result<nlohmann::json> {
    ASSIGN_OR_RETURN(std::string name, NameOf(b));
    return Done(h->Stop(name, Bounded(b, 2000, 3000)));
  });
  on("agent.guest.destroy", [h](Body b) -> Result<nlohmann::json> {
    ASSIGN_OR_RETURN(std::string name, NameOf(b));
    return Done(h->Destroy(name));
  });
  on("agent.guest.resume", [h](Body b) -> Result<nlohmann::json> {
    ASSIGN_OR_RETURN(std::string name, NameOf(b));
    return Done(h->Resume(name));
  });
  on("agent.volume.remove", [this](Body b) { return RemoveVolume(b); });
  on("agent.volume.purge", [this](Body b) { return Purge(b); });
  on("agent.guest.undefine", [h](Body b) -> Result<nlohmann::json> {
    ASSIGN_OR_RETURN(std::string name, NameOf(b));
    return Done(h->Undefine(name));
  });
  on("agent.migrate.prepare_in", [this](Body b) { return PrepareIn(b); });
  on("agent.migrate.start_out", [this](Body b) { return StartOut(b); });
  on("agent.migrate.query_out", [h](Body b) -> Result<nlohmann::json> {
    ASSIGN_OR_RETURN(std::string name, NameOf(b));
    ASSIGN_OR_RETURN(hv::MigrationStatus s, h->QueryMigrationOut(name));
    return StatusToJson(s);
  });
  on("agent.migrate.wait_switchover", [h](Body b) -> Result<nlohmann::json> {
    ASSIGN_OR_RETURN(std::string name, NameOf(b));
    auto s = h->WaitForSwitchover(name, Bounded(b, 500, 1000));
    if (!s && s.error().code() == Code::kTimeout) {
      ASSIGN_OR_RETURN(hv::MigrationStatus q, h->QueryMigrationOut(name));
      return StatusToJson(q);
    }
    if (!s) return Err(s.error());
    return StatusToJson(*s);
  });
  on("agent.migrate.continue_out", [this](Body b) { return ContinueOut(b); });
  on("agent.migrate.abort_out", [this, h](Body b) -> Result<nlohmann::json> {
    ASSIGN_OR_RETURN(std::string name, NameOf(b));
    (void)watchdog_.Disarm(name);  // fired or not, the answer is the same: the source runs
    return Done(h->AbortMigrationOut(name, milliseconds(3000)));
  });
  on("agent.migrate.finish_in", [this](Body b) { return FinishIn(b); });
  on("agent.migrate.abort_in", [h](Body b) -> Result<nlohmann::json> {
    ASSIGN_OR_RETURN(std::string name, NameOf(b));
    return Done(h->AbortMigrationIn(name));
  });
}

Result<std::string> GuestService::VolumeOfPath(const std::string& path) {
  ASSIGN_OR_RETURN(auto volumes, config_.storage->ListVolumes(config_.pool));
  for (const auto& v : volumes) {
    if (v.snapshot) continue;
    auto p = config_.storage->Path(config_.pool, v.name);
    if (p && std::filesystem::weakly_canonical(*p) == std::filesystem::weakly_canonical(path)) {
      return v.name;
    }
  }
  return Err(NotFound("disk " + path + " is not a volume of pool " + config_.pool));
}

Result<hv::GuestSpec> GuestService::ToLocal(const nlohmann::json& spec) {
  ASSIGN_OR_RETURN(hv::GuestSpec s, hv::GuestSpecFromJson(spec));
  for (auto& d : s.disks) {
    auto path = config_.storage->Path(config_.pool, d.path);
    if (!path) return Err(path.error().WithContext("disk volume " + d.path));
    d.path = *path;
  }
  return s;
}

Result<nlohmann::json> GuestService::ToWire(const hv::GuestSpec& spec) {
  hv::GuestSpec s = spec;
  for (auto& d : s.disks) {
    ASSIGN_OR_RETURN(d.path, VolumeOfPath(d.path));
  }
  return hv::ToJson(s);
}

Result<nlohmann::json> GuestService::GuestFacts() {
  ASSIGN_OR_RETURN(auto guests, config_.hv->List());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& g : guests) {
    nlohmann::json volumes = nlohmann::json::array();
    for (const auto& d : g.disks) {
      auto v = VolumeOfPath(d);
      volumes.push_back(v ? *v : d);  // a disk outside the pool is named by its path
    }
    list.push_back({{"name", g.name},
                    {"state", std::string(hv::StateName(g.state))},
                    {"vcpus", g.vcpus},
                    {"memory_mib", g.memory_mib},
                    {"volumes", volumes}});
  }
  return list;
}

Result<nlohmann::json> GuestService::VolumeFacts(const nlohmann::json& guests) {
  ASSIGN_OR_RETURN(auto volumes, config_.storage->ListVolumes(config_.pool));
  std::set<std::string> in_use;
  for (const auto& g : guests) {
    for (const auto& v : g.value("volumes", nlohmann::json::array())) {
      if (v.is_string()) in_use.insert(v.get<std::string>());
    }
  }
  std::map<std::string, nlohmann::json> retired = retired_.Current();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& v : volumes) {
    if (v.snapshot) continue;  // snapshots are the agent's business, not guests' disks
    nlohmann::json entry = {
        {"name", v.name}, {"size_bytes", v.size_bytes}, {"used_bytes", v.used_bytes}};
    if (auto r = retired.find(v.name); r != retired.end() && !in_use.count(v.name)) {
      entry["retired"] = true;
      entry["retired_at"] = r->second.value("retired_at", int64_t{0});
      entry["retired_reason"] = r->second.value("reason", "");
      if (r->second.contains("guest")) entry["retired_guest"] = r->second["guest"];
    }
    list.push_back(std::move(entry));
  }
  return list;
}

Result<nlohmann::json> GuestService::Define(Body b) {
  ASSIGN_OR_RETURN(hv::GuestSpec spec, ToLocal(b.value("spec", nlohmann::json::object())));
  RETURN_IF_ERROR(config_.hv->Define(spec));
  return nlohmann::json{{"name", spec.name}};
}

Result<nlohmann::json> GuestService::Get(Body b) {
  ASSIGN_OR_RETURN(std::string name, NameOf(b));
  ASSIGN_OR_RETURN(hv::GuestInfo info, config_.hv->Get(name));
  ASSIGN_OR_RETURN(hv::GuestSpec spec, config_.hv->Definition(name));
  ASSIGN_OR_RETURN(nlohmann::json wire_spec, ToWire(spec));
  return nlohmann::json{{"name", name},
                        {"state", std::string(hv::StateName(info.state))},
                        {"pid", info.id},
                        {"spec", wire_spec}};
}

Result<nlohmann::json> GuestService::Clone(Body b) {
  // The original's disks live on another host: CloneSpec replaces them all.
  ASSIGN_OR_RETURN(hv::GuestSpec original,
                   hv::GuestSpecFromJson(b.value("spec", nlohmann::json::object())));
  std::string new_name = b.value("new_name", "");
  std::vector<std::string> paths;
  for (const auto& v : b.value("volumes", nlohmann::json::array())) {
    auto p = config_.storage->Path(config_.pool, v.get<std::string>());
    if (!p) return Err(p.error().WithContext("clone volume"));
    paths.push_back(*p);
  }
  std::string prefix = config_.hv->kind() == "xen" ? "00:16:3e" : "52:54:00";
  ASSIGN_OR_RETURN(hv::GuestSpec clone, hv::CloneSpec(original, new_name, paths, prefix));
  RETURN_IF_ERROR(config_.hv->Define(clone));
  RETURN_IF_ERROR(config_.hv->Start(clone.name));
  nlohmann::json macs = nlohmann::json::array();
  for (const auto& n : clone.nics) macs.push_back(n.mac);
  return nlohmann::json{{"name", clone.name}, {"macs", macs}};
}

Status GuestService::DropBases(const std::string& volume) {
  ASSIGN_OR_RETURN(std::vector<std::string> snapshots, ChangeBases(config_.state_dir).Drop(volume));
  sync::HashCache cache(config_.state_dir.empty() ? "" : config_.state_dir + "/hash-cache");
  for (const auto& snapshot : snapshots) {
    if (auto path = config_.storage->Path(config_.pool, snapshot)) cache.Remove(*path);
    Status s = config_.storage->RemoveSnapshot(config_.pool, snapshot);
    if (!s.ok() && s.code() != Code::kNotFound) {
      spdlog::warn("removing base {} of {}: {}", snapshot, volume, s.ToString());
    }
  }
  return Status::Ok();
}

Result<nlohmann::json> GuestService::Retire(Body b) {
  std::string volume = b.value("volume", "");
  ASSIGN_OR_RETURN(auto volumes, config_.storage->ListVolumes(config_.pool));
  bool found = false;
  for (const auto& v : volumes) found = found || (!v.snapshot && v.name == volume);
  if (!found) return Err(NotFound("volume " + volume + " is not in pool " + config_.pool));
  ASSIGN_OR_RETURN(std::string reason, OptionalString(b, "reason"));
  ASSIGN_OR_RETURN(std::string guest, OptionalString(b, "guest"));
  ASSIGN_OR_RETURN(nlohmann::json record, retired_.Record(volume, reason, guest));
  // A retired volume is not sent again: its bases only take room.
  RETURN_IF_ERROR(DropBases(volume));
  return record;
}

Status GuestService::CheckNoGuestUses(const std::string& volume) {
  ASSIGN_OR_RETURN(auto path, config_.storage->Path(config_.pool, volume));
  ASSIGN_OR_RETURN(auto guests, config_.hv->List());
  for (const auto& g : guests) {
    for (const auto& d : g.disks) {
      if (std::filesystem::weakly_canonical(d) == std::filesystem::weakly_canonical(path)) {
        return InvalidArgument("volume " + volume + " is a disk of guest " + g.name);
      }
    }
  }
  return Status::Ok();
}

Result<nlohmann::json> GuestService::RemoveVolume(Body b) {
  std::string volume = b.value("volume", "");
  RETURN_IF_ERROR(CheckNoGuestUses(volume));
  RETURN_IF_ERROR(DropBases(volume));
  Status s = config_.storage->RemoveVolume(config_.pool, volume);
  if (!s.ok() && s.code() != Code::kNotFound) return Err(s);
  return nlohmann::json{{"removed", volume}};
}

Result<nlohmann::json> GuestService::Purge(Body b) {
  if (!b.contains("volume") || !b["volume"].is_string() || b["volume"].get<std::string>().empty()) {
    return Err(InvalidArgument("volume: required"));
  }
  std::string volume = b["volume"];
  // Only a copy this agent retired goes, and only while no guest here uses
  // it (a guest that came back runs on it again). Whether the guest runs
  // verified elsewhere is the orchestrator's check: it sees every host.
  if (!retired_.Current().count(volume)) {
    return Err(InvalidArgument("volume " + volume +
                               " is not a retired copy on this host; "
                               "only retired copies are purged"));
  }
  RETURN_IF_ERROR(CheckNoGuestUses(volume));
  uint64_t freed = 0;
  ASSIGN_OR_RETURN(auto volumes, config_.storage->ListVolumes(config_.pool));
  for (const auto& v : volumes) {
    if (!v.snapshot && v.name == volume) freed = v.used_bytes;
  }
  RETURN_IF_ERROR(DropBases(volume));
  Status s = config_.storage->RemoveVolume(config_.pool, volume);
  if (!s.ok() && s.code() != Code::kNotFound) return Err(s.WithContext("purge " + volume));
  RETURN_IF_ERROR(retired_.Purged(volume));
  spdlog::info("purged retired volume {} ({} bytes freed)", volume, freed);
  return nlohmann::json{{"purged", volume}, {"freed_bytes", freed}};
}

Result<nlohmann::json> GuestService::PrepareIn(Body b) {
  ASSIGN_OR_RETURN(hv::GuestSpec spec, ToLocal(b.value("spec", nlohmann::json::object())));
  hv::IncomingParams params;
  params.listen_host = "127.0.0.1";
  ASSIGN_OR_RETURN(hv::MigrationTarget target, config_.hv->PrepareMigrationIn(spec, params));
  return nlohmann::json{{"uri", target.uri}};
}

Result<nlohmann::json> GuestService::StartOut(Body b) {
  ASSIGN_OR_RETURN(std::string name, NameOf(b));
  hv::MigrationTarget target;
  target.uri = b.value("uri", "");
  if (target.uri.empty()) return Err(InvalidArgument("uri: required"));
  hv::MigrationParams params;
  params.max_bandwidth_bytes_per_s =
      b.value("max_bandwidth_bytes_per_s", params.max_bandwidth_bytes_per_s);
  params.downtime_limit_ms = b.value("downtime_limit_ms", params.downtime_limit_ms);
  // A repeat of a start already under way is success (idempotent).
  auto q = config_.hv->QueryMigrationOut(name);
  if (q &&
      (q->phase == hv::MigrationPhase::kActive || q->phase == hv::MigrationPhase::kPreSwitchover)) {
    return StatusToJson(*q);
  }
  auto deadline = milliseconds(
      std::clamp<int64_t>(b.value("pause_deadline_ms", kDefaultPauseDeadlineMs), 100, 600000));
  RETURN_IF_ERROR(config_.hv->StartMigrationOut(name, target, params));
  watchdog_.Arm(name, deadline);
  ASSIGN_OR_RETURN(hv::MigrationStatus s, config_.hv->QueryMigrationOut(name));
  return StatusToJson(s);
}

Result<nlohmann::json> GuestService::ContinueOut(Body b) {
  ASSIGN_OR_RETURN(std::string name, NameOf(b));
  RETURN_IF_ERROR(watchdog_.Disarm(name));
  ASSIGN_OR_RETURN(hv::MigrationStatus s,
                   config_.hv->ContinueMigrationOut(name, Bounded(b, 3000, 3000)));
  return StatusToJson(s);
}

Result<nlohmann::json> GuestService::FinishIn(Body b) {
  ASSIGN_OR_RETURN(std::string name, NameOf(b));
  ASSIGN_OR_RETURN(hv::MigrationStatus s,
                   config_.hv->WaitMigrationIn(name, Bounded(b, 3000, 3000)));
  if (s.phase != hv::MigrationPhase::kCompleted) {
    return Err(Aborted("incoming " + name + " is " + std::string(hv::PhaseName(s.phase)) +
                       (s.error.empty() ? "" : ": " + s.error)));
  }
  RETURN_IF_ERROR(config_.hv->Resume(name));
  ASSIGN_OR_RETURN(hv::GuestInfo info, config_.hv->Get(name));
  return nlohmann::json{{"name", name}, {"state", std::string(hv::StateName(info.state))}};
}

}  // namespace drover::agent
