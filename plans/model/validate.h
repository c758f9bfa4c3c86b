// Validation of an indexed inventory.
//
// Errors (InvalidArgument, one line each, up to 20, naming guest/host/field):
// duplicate host or guest names, a guest on an unknown host, links naming
// unknown hosts or with no bandwidth, `after` naming unknown guests or forming
// a cycle, and hosts whose guests already exceed their capacity.
// Warnings: redundancy groups already placed against the spread policy.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "plans/model/inventory.h"

namespace drover::plans {

Status ValidateInventory(const Inventory& inv, std::vector<std::string>* warnings);

}  // namespace drover::plans
