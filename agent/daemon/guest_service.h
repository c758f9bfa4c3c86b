// The agent's part of guests and of a live cutover (DESIGN "Cutover"),
// carried out on the hypervisor driver for guests whose disks are volumes of
// this agent's pool. On the wire a guest's disks are pool volume names; only
// this service turns them into paths.
//
//   agent.guest.define {spec}        spec.disks[].path = volume names
//   agent.guest.start|stop|destroy|resume|undefine {name}
//   agent.guest.get {name}           -> {info, spec} (spec with volume names)
//   agent.guest.clone {spec, new_name, volumes} -> defines and starts a copy
//                                       with a new name and MAC
//   agent.volume.retire {volume, reason, guest?} records a kept, retired
//                                    volume (and the guest that used it) and
//                                    drops its change-tracking bases
//   agent.volume.purge {volume}      removes a retired volume no guest here
//                                    uses -> {purged, freed_bytes}
//   agent.volume.remove {volume}     removes a volume no guest uses (the
//                                    orchestrator discards copies it made),
//                                    with its change-tracking bases
//   agent.migrate.prepare_in {spec}  -> {uri}  destination, held paused
//   agent.migrate.start_out {name, uri, max_bandwidth_bytes_per_s,
//                            downtime_limit_ms, pause_deadline_ms?}
//                                    also arms the pause watchdog
//                                    (pause_watchdog.h): a guest paused in
//                                    pre-switchover longer than
//                                    pause_deadline_ms (default 15 s, 100 ms
//                                    to 10 min) without continue_out or
//                                    abort_out is resumed here
//   agent.migrate.query_out {name}   -> status (no wait)
//   agent.migrate.wait_switchover {name, timeout_ms <= 1000} -> status
//   agent.migrate.continue_out {name} -> status (bounded: 3 s); Aborted if
//                                    the watchdog already resumed the source
//   agent.migrate.abort_out {name}   cancels; the source runs again
//   agent.migrate.finish_in {name}   waits (<= 3 s) for the whole guest,
//                                    resumes it -> {state}
//   agent.migrate.abort_in {name}    destroys the incoming copy (disks kept)
//
// Every handler is idempotent (the driver's contract) and answers within a
// few seconds: the long parts of a migration run inside QEMU, and the
// orchestrator polls. Errors are the driver's Status, named. Thread-safe
// (the driver is); `driver`, `hv` must outlive the service.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/daemon/agent.h"
#include "agent/daemon/pause_watchdog.h"
#include "agent/daemon/retired_volumes.h"
#include "agent/hypervisor/hypervisor.h"
#include "agent/storage/storage_driver.h"
#include "common/status.h"
#include "common/wire/message.h"

namespace drover::agent {

struct GuestServiceConfig {
  hv::Hypervisor* hv = nullptr;               // not owned
  storage::StorageDriver* storage = nullptr;  // not owned
  std::string pool;
  std::string state_dir;  // retired-volumes.jsonl lives here
};

class GuestService {
 public:
  explicit GuestService(GuestServiceConfig config)
      : config_(std::move(config)), watchdog_(config_.hv), retired_(config_.state_dir) {}

  // Adds every handler above to `agent`, and arms the pause watchdog again
  // for guests that migrate out since before this agent started.
  void Register(Agent& agent);

  // facts.guests: [{name, state, vcpus, memory_mib, volumes}].
  Result<nlohmann::json> GuestFacts();
  // facts.volumes: [{name, size_bytes, used_bytes, retired?, retired_at?,
  // retired_reason?, retired_guest?}], snapshots left out; "retired": true
  // for a kept copy no guest here uses (retired_volumes.h). `guests` is what
  // GuestFacts just returned.
  Result<nlohmann::json> VolumeFacts(const nlohmann::json& guests);

 private:
  using Body = const nlohmann::json&;
  Result<nlohmann::json> Define(Body b);
  Result<nlohmann::json> Get(Body b);
  Result<nlohmann::json> Clone(Body b);
  Result<nlohmann::json> Retire(Body b);
  Result<nlohmann::json> RemoveVolume(Body b);
  Result<nlohmann::json> Purge(Body b);
  // InvalidArgument naming the guest when a guest of this host has `volume`
  // as a disk.
  Status CheckNoGuestUses(const std::string& volume);
  Result<nlohmann::json> PrepareIn(Body b);
  Result<nlohmann::json> StartOut(Body b);
  Result<nlohmann::json> ContinueOut(Body b);
  void RearmWatchdogs();
  Result<nlohmann::json> FinishIn(Body b);

  // Spec with volume names -> spec with this pool's paths, and back.
  Result<hv::GuestSpec> ToLocal(const nlohmann::json& spec);
  Result<nlohmann::json> ToWire(const hv::GuestSpec& spec);
  Result<std::string> VolumeOfPath(const std::string& path);
  // Removes the change-tracking base snapshots of `volume` (and their hash
  // cache entries); a failure to remove one is logged, not returned.
  Status DropBases(const std::string& volume);

  GuestServiceConfig config_;
  PauseWatchdog watchdog_;
  RetiredVolumes retired_;
};

nlohmann::json StatusToJson(const hv::MigrationStatus& s);

}  // namespace drover::agent
