#include "tests/bench/plan/synthetic_inventory.h"

#include <cstdio>
#include <random>

namespace drover::plans::bench {

std::string SyntheticHostName(int i, int rack_size) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "r%04d-h%02d", i / rack_size, i % rack_size);
  return buf;
}

nlohmann::json SyntheticInventory(const SyntheticSpec& spec) {
  std::mt19937_64 rng(spec.seed);
  auto uniform = [&](int lo, int hi) {
    return lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1));
  };
  nlohmann::json doc;
  doc["hosts"] = nlohmann::json::array();
  for (int h = 0; h < spec.hosts; ++h) {
    char rack[32];
    std::snprintf(rack, sizeof rack, "rack-%04d", h / spec.rack_size);
    doc["hosts"].push_back({{"name", SyntheticHostName(h, spec.rack_size)},
                            {"cpus", 64},
                            {"memory_mib", 262144},
                            {"disk_gib", 8000},
                            {"nic_mbps", 10000},
                            {"failure_domain", rack},
                            {"state", "online"}});
  }
  doc["links"] = nlohmann::json::array();
  doc["guests"] = nlohmann::json::array();
  const int per_host = std::max(1, spec.guests / spec.hosts);
  const int groups = spec.guests / 20 / 3;
  int made = 0;
  for (int h = 0; h < spec.hosts && made < spec.guests; ++h) {
    for (int k = 0; k < per_host && made < spec.guests; ++k, ++made) {
      const int kind = uniform(0, 2);  // cpu-, io- or memory-heavy
      nlohmann::json load = {{"cpu", kind == 0 ? 0.8 : 0.2},
                             {"io", kind == 1 ? 0.8 : 0.1},
                             {"memory", kind == 2 ? 0.9 : 0.3}};
      nlohmann::json g = {
          {"name", "vm" + std::to_string(made)}, {"host", SyntheticHostName(h, spec.rack_size)},
          {"vcpus", 2 * uniform(1, 4)},          {"memory_mib", 2048 * uniform(2, 12)},
          {"disk_gib", 10 * uniform(5, 40)},     {"load", load},
          {"dirty_mib_s", uniform(1, 20)}};
      // One guest in 20 belongs to a 3-member group whose members sit far apart.
      if (made % 20 == 0 && groups > 0) g["group"] = "grp" + std::to_string((made / 20) % groups);
      doc["guests"].push_back(std::move(g));
    }
  }
  doc["policy"] = {{"cpu_overcommit", 4.0},
                   {"memory_overcommit", 1.0},
                   {"max_migrations_per_host", spec.max_per_host},
                   {"max_migrations_per_link", 1},
                   {"spread_groups_across", "failure_domain"}};
  return doc;
}

}  // namespace drover::plans::bench
