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
