#include "orchestrator/daemon/live_inventory.h"

#include <cmath>

namespace drover::daemon {
namespace {

constexpr double kGiB = 1024.0 * 1024 * 1024;

double GiB(double bytes) { return std::ceil(bytes / kGiB * 100) / 100; }  // 2 decimals, up

// Disk of a guest: the sum of the pool volumes it names.
double GuestDiskBytes(const nlohmann::json& guest, const nlohmann::json& volumes) {
  double total = 0;
  for (const auto& name : guest.value("volumes", nlohmann::json::array())) {
    for (const auto& v : volumes) {
      if (v.value("name", "") == name) total += v.value("size_bytes", 0.0);
    }
  }
  return total;
}

}  // namespace

nlohmann::json BuildInventory(const std::vector<state::HostRecord>& hosts,
                              const std::set<std::string>& online) {
  nlohmann::json doc = {{"hosts", nlohmann::json::array()},
                        {"links", nlohmann::json::array()},
                        {"guests", nlohmann::json::array()},
                        {"policy", nlohmann::json::object()}};
  for (const auto& h : hosts) {
    const nlohmann::json& f = h.facts;
    nlohmann::json pool = f.value("pool", nlohmann::json::object());
    nlohmann::json host = {
        {"name", h.name},
        {"cpus", f.value("cpus", 0)},
        {"memory_mib", f.value("memory_mib", 0)},
        {"disk_gib", GiB(pool.value("size_bytes", 0.0))},
        {"nic_mbps", f.value("nic_mbps", 1000)},
        {"state", online.count(h.name) ? f.value("state", "online") : "offline"}};
    if (f.contains("failure_domain")) host["failure_domain"] = f["failure_domain"];
    doc["hosts"].push_back(std::move(host));
    const nlohmann::json volumes = f.value("volumes", nlohmann::json::array());
    for (const auto& g : f.value("guests", nlohmann::json::array())) {
      nlohmann::json guest = {{"name", g.value("name", "")},
                              {"host", h.name},
                              {"vcpus", g.value("vcpus", 1)},
                              {"memory_mib", g.value("memory_mib", 0)},
                              {"disk_gib", GiB(GuestDiskBytes(g, volumes))},
                              {"running", g.value("state", "") == "running"}};
      if (g.contains("load")) guest["load"] = g["load"];
      if (g.contains("dirty_mib_s")) guest["dirty_mib_s"] = g["dirty_mib_s"];
      doc["guests"].push_back(std::move(guest));
    }
  }
  return doc;
}

}  // namespace drover::daemon
