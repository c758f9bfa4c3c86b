// A small fluent builder of inventory documents for tests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "plans/model/inventory_json.h"

namespace drover::plans::testing {

class InventoryBuilder {
 public:
  InventoryBuilder& Host(const std::string& name, double cpus, double memory_mib, double disk_gib,
                         const std::string& domain = "", const std::string& state = "online",
                         double nic_mbps = 1000);
  InventoryBuilder& Link(const std::string& a, const std::string& b, double mbps);
  // load: {cpu, io, memory}
  InventoryBuilder& Guest(const std::string& name, const std::string& host, double vcpus,
                          double memory_mib, double disk_gib,
                          std::vector<double> load = {0.1, 0.1, 0.1}, const std::string& group = "",
                          double dirty_mib_s = 1);
  // Sets a field of the last guest added.
  InventoryBuilder& Set(const std::string& key, nlohmann::json value);
  InventoryBuilder& Policy(const std::string& key, nlohmann::json value);
  const nlohmann::json& doc() const { return doc_; }
  // LoadInventory of the document; aborts the test binary on failure.
  LoadedInventory Load() const;

 private:
  nlohmann::json doc_ = {{"hosts", nlohmann::json::array()},
                         {"links", nlohmann::json::array()},
                         {"guests", nlohmann::json::array()},
                         {"policy", nlohmann::json::object()}};
};

}  // namespace drover::plans::testing
