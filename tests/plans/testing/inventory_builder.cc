#include "tests/plans/testing/inventory_builder.h"

#include <cstdio>
#include <cstdlib>

namespace drover::plans::testing {

InventoryBuilder& InventoryBuilder::Host(const std::string& name, double cpus, double memory_mib,
                                         double disk_gib, const std::string& domain,
                                         const std::string& state, double nic_mbps) {
  nlohmann::json h = {{"name", name},         {"cpus", cpus},   {"memory_mib", memory_mib},
                      {"disk_gib", disk_gib}, {"state", state}, {"nic_mbps", nic_mbps}};
  if (!domain.empty()) h["failure_domain"] = domain;
  doc_["hosts"].push_back(h);
  return *this;
}

InventoryBuilder& InventoryBuilder::Link(const std::string& a, const std::string& b, double mbps) {
  doc_["links"].push_back({{"a", a}, {"b", b}, {"mbps", mbps}});
  return *this;
}

InventoryBuilder& InventoryBuilder::Guest(const std::string& name, const std::string& host,
                                          double vcpus, double memory_mib, double disk_gib,
                                          std::vector<double> load, const std::string& group,
                                          double dirty_mib_s) {
  load.resize(3, 0.1);
  nlohmann::json g = {{"name", name},
                      {"host", host},
                      {"vcpus", vcpus},
                      {"memory_mib", memory_mib},
                      {"disk_gib", disk_gib},
                      {"load", {{"cpu", load[0]}, {"io", load[1]}, {"memory", load[2]}}},
                      {"dirty_mib_s", dirty_mib_s}};
  if (!group.empty()) g["group"] = group;
  doc_["guests"].push_back(g);
  return *this;
}

InventoryBuilder& InventoryBuilder::Set(const std::string& key, nlohmann::json value) {
  doc_["guests"].back()[key] = std::move(value);
  return *this;
}

InventoryBuilder& InventoryBuilder::Policy(const std::string& key, nlohmann::json value) {
  doc_["policy"][key] = std::move(value);
  return *this;
}

LoadedInventory InventoryBuilder::Load() const {
  auto inv = LoadInventory(doc_);
  if (!inv) {
    std::fprintf(stderr, "test inventory invalid: %s\n", inv.error().ToString().c_str());
    std::abort();
  }
  return std::move(*inv);
}

}  // namespace drover::plans::testing
