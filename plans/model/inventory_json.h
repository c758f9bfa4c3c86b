// Reading and writing the inventory document (docs/inventory.md).
//
// LoadInventory parses, indexes and validates a document and computes its
// fingerprint. Type errors, unknown hosts, negative sizes, duplicates and
// hosts already over capacity are errors (InvalidArgument) whose message names
// the object and field; unknown fields are warnings. Never throws.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "plans/model/inventory.h"

namespace drover::plans {

struct LoadedInventory {
  Inventory inventory;
  std::vector<std::string> warnings;
  std::string fingerprint;  // "sha256:<hex>" of the canonical document
};

// Parses the document into an indexed Inventory, without validation.
Result<Inventory> ParseInventory(const nlohmann::json& doc, std::vector<std::string>* warnings);

// ParseInventory + ValidateInventory + fingerprint.
Result<LoadedInventory> LoadInventory(const nlohmann::json& doc);

// The document for an inventory (round-trips through LoadInventory).
nlohmann::json InventoryToJson(const Inventory& inv);

}  // namespace drover::plans
