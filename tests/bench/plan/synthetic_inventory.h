// Synthetic inventories for the planner benchmark: `hosts` hosts in racks of
// `rack_size` (each rack a failure domain), about `guests` guests spread over
// them at roughly 60% of memory, with a few redundancy groups spread across
// racks. Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace drover::plans::bench {

struct SyntheticSpec {
  int hosts = 1000;
  int guests = 10000;
  int rack_size = 10;
  uint64_t seed = 1;
  int max_per_host = 2;
};

nlohmann::json SyntheticInventory(const SyntheticSpec& spec);

// Name of host i: "r0007-h03" (rack 7, host 3).
std::string SyntheticHostName(int i, int rack_size);

}  // namespace drover::plans::bench
