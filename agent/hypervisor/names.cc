// Printable names of the hypervisor enums (logs, the wire, docs).
#include "agent/hypervisor/hypervisor.h"
#include "agent/hypervisor/migration.h"

namespace drover::hv {

std::string_view StateName(GuestState state) {
  switch (state) {
    case GuestState::kShutoff:
      return "shutoff";
    case GuestState::kRunning:
      return "running";
    case GuestState::kPaused:
      return "paused";
    case GuestState::kIncoming:
      return "incoming";
    case GuestState::kMigrated:
      return "migrated";
    case GuestState::kCrashed:
      return "crashed";
    case GuestState::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::string_view PhaseName(MigrationPhase phase) {
  switch (phase) {
    case MigrationPhase::kNone:
      return "none";
    case MigrationPhase::kActive:
      return "active";
    case MigrationPhase::kPreSwitchover:
      return "pre-switchover";
    case MigrationPhase::kCompleting:
      return "completing";
    case MigrationPhase::kCompleted:
      return "completed";
    case MigrationPhase::kFailed:
      return "failed";
    case MigrationPhase::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

}  // namespace drover::hv
