// Translation between QMP's migration vocabulary and drover's (migration.h).
//
// Pure functions, no I/O; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "agent/hypervisor/hypervisor.h"
#include "agent/hypervisor/migration.h"

namespace drover::hv {

// query-migrate "status" → phase. QEMU's none/setup/active/... map onto
// migration.h's diagram; "device" (the last state in flight) is kCompleting.
MigrationPhase PhaseFromQmp(const std::string& status);

// A query-migrate reply → MigrationStatus (missing fields stay 0).
MigrationStatus StatusFromQueryMigrate(const nlohmann::json& reply);

// The same for the sending QEMU. Its migration thread sets "completed" first
// and only afterwards, under the big lock, computes total-time and downtime
// and moves the guest to "postmigrate" (QEMU 7.2 migration_completion, then
// migration_iteration_finish). A reply from between the two says "completed"
// with a total-time of 0: that is kCompleting, or callers would take a
// downtime of 0 and a source still in finish-migrate for the final figures.
// A reply without total-time is not the source's: a guest that came in by
// migration and never left reports its incoming "completed", which is final
// (taking it for kCompleting would refuse every migration out of it).
MigrationStatus SourceStatusFromQueryMigrate(const nlohmann::json& reply);

// query-status "status" → GuestState.
GuestState StateFromRunState(const std::string& status);

// Arguments of migrate-set-capabilities for an outgoing migration:
// pause-before-switchover and events on.
nlohmann::json OutgoingCapabilities();

// Arguments of migrate-set-parameters: max-bandwidth and downtime-limit.
nlohmann::json MigrationParameters(const MigrationParams& params);

// The port of a listening incoming migration (query-migrate "socket-address"
// on the destination); 0 if none is reported.
uint16_t IncomingPort(const nlohmann::json& reply);

}  // namespace drover::hv
