#include "agent/hypervisor/qemu/qmp_migration.h"

#include <map>

namespace drover::hv {
namespace {

uint64_t U64(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>()
         : it != j.end() && it->is_number_integer() && it->get<int64_t>() > 0
             ? static_cast<uint64_t>(it->get<int64_t>())
             : 0;
}

}  // namespace

MigrationPhase PhaseFromQmp(const std::string& status) {
  static const std::map<std::string, MigrationPhase> kPhases = {
      {"none", MigrationPhase::kNone},
      {"setup", MigrationPhase::kActive},
      {"active", MigrationPhase::kActive},
      {"postcopy-active", MigrationPhase::kActive},
      {"pre-switchover", MigrationPhase::kPreSwitchover},
      {"device", MigrationPhase::kCompleting},
      {"completed", MigrationPhase::kCompleted},
      {"failed", MigrationPhase::kFailed},
      {"cancelling", MigrationPhase::kActive},  // not over yet: the source is not running
      {"cancelled", MigrationPhase::kCancelled},
  };
  auto it = kPhases.find(status);
  return it == kPhases.end() ? MigrationPhase::kActive : it->second;
}

MigrationStatus StatusFromQueryMigrate(const nlohmann::json& reply) {
  MigrationStatus st;
  if (!reply.is_object()) return st;
  auto status = reply.find("status");
  if (status != reply.end() && status->is_string()) st.phase = PhaseFromQmp(*status);
  auto ram = reply.find("ram");
  if (ram != reply.end() && ram->is_object()) {
    st.transferred_bytes = U64(*ram, "transferred");
    st.remaining_bytes = U64(*ram, "remaining");
    st.total_bytes = U64(*ram, "total");
  }
  st.total_ms = U64(reply, "total-time");
  st.downtime_ms = U64(reply, "downtime");
  auto err = reply.find("error-desc");
  if (err != reply.end() && err->is_string()) st.error = *err;
  return st;
}

MigrationStatus SourceStatusFromQueryMigrate(const nlohmann::json& reply) {
  MigrationStatus st = StatusFromQueryMigrate(reply);
  // Only a reply that carries total-time is the source's own: a guest that
  // arrived by migration and has not left since answers with its incoming
  // migration's "completed", which has no times and is final.
  if (st.phase == MigrationPhase::kCompleted && st.total_ms == 0 && reply.is_object() &&
      reply.contains("total-time")) {
    st.phase = MigrationPhase::kCompleting;
  }
  return st;
}

GuestState StateFromRunState(const std::string& status) {
  static const std::map<std::string, GuestState> kStates = {
      {"running", GuestState::kRunning},      {"paused", GuestState::kPaused},
      {"prelaunch", GuestState::kPaused},     {"finish-migrate", GuestState::kPaused},
      {"suspended", GuestState::kPaused},     {"inmigrate", GuestState::kIncoming},
      {"postmigrate", GuestState::kMigrated}, {"internal-error", GuestState::kCrashed},
      {"io-error", GuestState::kCrashed},     {"guest-panicked", GuestState::kCrashed},
      {"shutdown", GuestState::kShutoff},
  };
  auto it = kStates.find(status);
  return it == kStates.end() ? GuestState::kUnknown : it->second;
}

nlohmann::json OutgoingCapabilities() {
  return {{"capabilities",
           {{{"capability", "pause-before-switchover"}, {"state", true}},
            {{"capability", "events"}, {"state", true}}}}};
}

nlohmann::json MigrationParameters(const MigrationParams& params) {
  return {{"max-bandwidth", params.max_bandwidth_bytes_per_s},
          {"downtime-limit", params.downtime_limit_ms}};
}

uint16_t IncomingPort(const nlohmann::json& reply) {
  if (!reply.is_object()) return 0;
  auto addrs = reply.find("socket-address");
  if (addrs == reply.end() || !addrs->is_array()) return 0;
  for (const auto& a : *addrs) {
    if (!a.is_object()) continue;
    auto port = a.find("port");
    if (port == a.end() || !port->is_string()) continue;
    int p = std::atoi(port->get<std::string>().c_str());
    if (p > 0 && p < 65536) return static_cast<uint16_t>(p);
  }
  return 0;
}

}  // namespace drover::hv
